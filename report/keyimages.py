"""Key images: flagged frames with the user's marks burned in, as PNG (PDF) and DICOM Secondary Capture.

Marks are in DICOM image coordinates (SCOORD: ``(0, 0)`` is the top-left corner of the first
pixel). QPainter with antialiasing on a QImage uses the same convention, so points go in as they
are: no half-pixel shift here. Marks are yellow with a black outline and a boxed label, readable
on the dark ultrasound background and in grey print.

A key image of 3D marks is an MPR: the plane they were drawn in, resliced from their volume's time
point (imaging.mpr) over the marks' extent plus a margin, with the marks projected into it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset
from pydicom.uid import JPEGLSLossless
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QImage, QPainter, QPen, QPolygonF

from imaging.errors import InputError
from imaging.volume import is_volume_sop_class
from measurements.geometry3d import PLANARITY_TOLERANCE_MM, best_fit_plane
from report.model import Header, ImageRef, KeyImage, Mark, Measurement, Report
from report.plane_words import PlaneDescription, ValveFrame, describe_plane
from report.qt import ensure_app

KEY_IMAGE_SERIES_NUMBER = 9902
#: Key-image Secondary Captures are JPEG-LS lossless (1.2.840.10008.1.2.4.80): bit-exact, about 0.44× the
#: uncompressed RGB of a demo frame (RLE Lossless, pydicom's built-in encoder, reaches 0.65×), encoded by
#: pyjpegls (CharLS) and decoded by it or by GDCM, which PACS viewers and this app already use for JPEG-LS stills.
SC_TRANSFER_SYNTAX = JPEGLSLossless
#: QImage.save quality for PNG: Qt maps it to zlib level (100 - q) * 9 // 91. At 80 (level 1) an 800×600 key image
#: takes about a third of the default level's time and is no larger (benchmarks/bench_report.py).
PNG_QUALITY = 80

#: Reads frame ``frame_number`` (1-based) of an image as uint8 RGB (rows, columns, 3).
FrameLoader = Callable[[ImageRef, int], np.ndarray]


@dataclass(frozen=True, slots=True)
class MprView:
    """An MPR key image's plane: centre of pixel (0, 0), unit row and column directions (mm), size, mm/px."""

    origin: np.ndarray
    row_dir: np.ndarray
    col_dir: np.ndarray
    size: tuple[int, int]  # columns, rows
    pixel_mm: float


#: Reslices ``view`` from time point ``timepoint`` (1-based) of a volume as uint8 grey (rows, columns).
PlaneLoader = Callable[[ImageRef, int, MprView], np.ndarray]
#: margin (mm) around the marks in an MPR key image, and its longer side (pixels)
MPR_MARGIN_MM = 8.0
MPR_SIDE_PX = 400

_INK = QColor("#ffe600")
_OUTLINE = QColor("#000000")


def array_to_qimage(rgb: np.ndarray) -> QImage:
    """A deep-copied RGB888 QImage of a (rows, columns, 3) uint8 array (grey 2-D arrays are expanded)."""
    if rgb.ndim == 2:
        rgb = np.repeat(rgb[:, :, None], 3, axis=2)
    data = np.ascontiguousarray(rgb[:, :, :3], dtype=np.uint8)
    rows, cols = data.shape[:2]
    return QImage(data.data, cols, rows, 3 * cols, QImage.Format.Format_RGB888).copy()


def qimage_to_array(image: QImage) -> np.ndarray:
    """(rows, columns, 3) uint8 RGB copy of ``image``."""
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    rows, cols, stride = rgb.height(), rgb.width(), rgb.bytesPerLine()
    buffer = np.frombuffer(rgb.constBits(), dtype=np.uint8, count=stride * rows).reshape(rows, stride)
    return buffer[:, : cols * 3].reshape(rows, cols, 3).copy()


#: The quantity a mark's caption prints first, when the mark gives it (a trace: its mean gradient).
_CAPTION_ORDER = ("mean_gradient", "vena_contracta", "vena_contracta_biplane", "distance", "area", "vmax")


def _caption_rank(m: Measurement) -> int:
    return _CAPTION_ORDER.index(m.quantity) if m.quantity in _CAPTION_ORDER else len(_CAPTION_ORDER)


def mark_captions(report: Report) -> dict[str, str]:
    """Mark id → "label value unit" of the mark's own headline measurement (a trace's mean gradient, else the
    first value from that mark alone, never one beat of it; else the first that uses it; else the mark's label)."""
    captions = {m.id: m.label for m in report.marks}
    for mark_id in captions:
        own = [m for m in report.measurements if m.source == (mark_id,) and m.beat is None]
        used = [m for m in report.measurements if mark_id in m.source]
        pick = min(own, key=_caption_rank) if own else (used[0] if used else None)
        if pick is not None:
            captions[mark_id] = f"{pick.label} {pick.text}"
    return captions


def _stroke(painter: QPainter, draw: Callable[[], object], width: float) -> None:
    """Draw twice: a black outline, then the yellow ink on top."""
    for colour, w in ((_OUTLINE, width * 2.2), (_INK, width)):
        pen = QPen(colour, w)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        painter.setPen(pen)
        draw()


def draw_mark(painter: QPainter, mark: Mark, caption: str, width: float, placed: list[QRectF] | None = None) -> None:
    """One mark (distance, area, trace or point) and its caption, in image coordinates.

    ``placed`` holds the caption boxes drawn so far; this caption moves down until it overlaps none
    of them, with a leader line back to its mark.
    """
    pts = [QPointF(x, y) for x, y in mark.points]
    painter.setBrush(Qt.BrushStyle.NoBrush)
    if mark.type == "point" or len(pts) == 1:
        p, r = pts[0], 3 * width
        _stroke(painter, lambda: (painter.drawLine(p - QPointF(r, 0), p + QPointF(r, 0)),
                                  painter.drawLine(p - QPointF(0, r), p + QPointF(0, r))), width)
    elif mark.type == "area":
        _stroke(painter, lambda: painter.drawPolygon(QPolygonF(pts)), width)
    else:
        _stroke(painter, lambda: painter.drawPolyline(QPolygonF(pts)), width)
        if mark.type == "distance":
            r = 2 * width
            _stroke(painter, lambda: [painter.drawEllipse(p, r / 2, r / 2) for p in (pts[0], pts[-1])], width)
    font = QFont("DejaVu Sans")
    font.setPixelSize(max(7, int(6.5 * width)))
    painter.setFont(font)
    text = caption or "unlabelled mark"  # what it measures, never an internal id (the heart team reads it)
    anchor = max(pts, key=lambda q: q.x())
    box = painter.fontMetrics().boundingRect(text)
    rect = QRectF(anchor.x() + 2 * width, anchor.y() - box.height(), box.width() + 4 * width, box.height() + width)
    img_w = painter.device().width() / painter.transform().m11()
    if rect.right() > img_w:
        rect.moveRight(min(p.x() for p in pts) - 2 * width)
    if rect.left() < 0:  # too wide on either side: put it above the mark, inside the image
        rect.moveLeft(0)
        rect.moveBottom(min(p.y() for p in pts) - 2 * width)
    if rect.top() < 0:
        rect.moveTop(max(p.y() for p in pts) + 2 * width)
    placed = placed if placed is not None else []
    img_h = painter.device().height() / painter.transform().m22()
    home = QRectF(rect)
    while any(rect.intersects(r) for r in placed) and rect.bottom() + rect.height() < img_h:
        rect.translate(0, rect.height() + width)
    if rect != home:
        _stroke(painter, lambda: painter.drawLine(anchor, QPointF(rect.left(), rect.center().y())), width / 2)
    placed.append(rect)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QBrush(QColor(0, 0, 0, 200)))
    painter.drawRect(rect)
    painter.setPen(_INK)
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)


def render_key_image(frame: np.ndarray, marks: Sequence[Mark], captions: dict[str, str], scale: int = 1,
                     note: str = "") -> QImage:
    """The frame (RGB) with ``marks`` burned in, ``scale`` times larger (nearest-neighbour); ``note``
    (what the picture is, e.g. an MPR's plane) boxed along its bottom edge."""
    ensure_app()
    base = array_to_qimage(frame)
    if scale != 1:
        base = base.scaled(base.width() * scale, base.height() * scale, Qt.AspectRatioMode.IgnoreAspectRatio,
                           Qt.TransformationMode.FastTransformation)
    image = base.convertToFormat(QImage.Format.Format_RGB32)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    painter.scale(scale, scale)
    width = max(1.0, frame.shape[1] / 300)
    placed: list[QRectF] = []
    for mark in marks:
        draw_mark(painter, mark, captions.get(mark.id, mark.label), width, placed)
    if note:
        _draw_note(painter, note, frame.shape[1], frame.shape[0], width)
    painter.end()
    return image


def _draw_note(painter: QPainter, note: str, columns: int, rows: int, width: float) -> None:
    """``note`` in a dark box across the bottom of the image, wrapped to its width."""
    font = QFont("DejaVu Sans")
    font.setPixelSize(max(7, int(5.5 * width)))
    painter.setFont(font)
    flags = Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextWordWrap
    box = painter.fontMetrics().boundingRect(QRectF(0, 0, columns - 4 * width, rows).toRect(), int(flags), note)
    rect = QRectF(0, rows - box.height() - 2 * width, columns, box.height() + 2 * width)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QBrush(QColor(0, 0, 0, 200)))
    painter.drawRect(rect)
    painter.setPen(_INK)
    painter.drawText(rect.adjusted(2 * width, width, -2 * width, -width), flags, note)


def key_image_marks(report: Report, key: KeyImage) -> list[Mark]:
    """The marks a key image shows: those listed, else every mark on that frame."""
    if key.mark_ids:
        return [m for m in (report.mark(i) for i in key.mark_ids) if m is not None]
    return [m for m in report.marks if m.sop_instance_uid == key.sop_instance_uid
            and m.frame_number == key.frame_number]


def _plane_axes(marks: Sequence[Mark]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A point and unit row and column directions of the plane the marks were drawn in: the first
    mark's recorded plane when every point lies on it (within PLANARITY_TOLERANCE_MM), else the
    points' best-fit plane (InputError when they span none)."""
    plane = marks[0].plane
    assert plane is not None
    origin = np.asarray(plane[0], float)
    row = np.asarray(plane[1], float) / np.linalg.norm(plane[1])
    col = np.asarray(plane[2], float) - (np.asarray(plane[2], float) @ row) * row
    col /= np.linalg.norm(col)
    points = np.asarray([p for m in marks for p in m.points3d], float)
    if np.max(np.abs((points - origin) @ np.cross(row, col))) <= PLANARITY_TOLERANCE_MM:
        return origin, row, col
    fitted = best_fit_plane(points)
    return fitted.centroid, fitted.u, fitted.v


def mpr_view(marks: Sequence[Mark]) -> MprView:
    """The plane the marks were drawn in (``_plane_axes``), framed on their points plus ``MPR_MARGIN_MM``."""
    origin, row, col = _plane_axes(marks)
    points = np.asarray([p for m in marks for p in m.points3d], float) - origin
    u, v = points @ row, points @ col
    low = np.array([u.min(), v.min()]) - MPR_MARGIN_MM
    extent = np.array([u.max(), v.max()]) + MPR_MARGIN_MM - low
    pixel_mm = float(extent.max()) / MPR_SIDE_PX
    size = (max(1, math.ceil(extent[0] / pixel_mm)), max(1, math.ceil(extent[1] / pixel_mm)))
    return MprView(origin + low[0] * row + low[1] * col, row, col, size, pixel_mm)


def marks_on_view(marks: Sequence[Mark], view: MprView) -> list[Mark]:
    """3D marks as 2D marks in the view's image coordinates (the centre of pixel (c, r) is (c + 0.5, r + 0.5))."""
    out = []
    for m in marks:
        d = np.asarray(m.points3d, float) - view.origin
        xy = np.column_stack([d @ view.row_dir, d @ view.col_dir]) / view.pixel_mm + 0.5
        out.append(replace(m, points=tuple((float(x), float(y)) for x, y in xy), points3d=()))
    return out


def view_plane(view: MprView, valve: ValveFrame | None = None) -> PlaneDescription:
    """The plane of an MPR view in words relative to the aligned annulus ``valve`` (report.plane_words)."""
    return describe_plane(view.origin, view.row_dir, view.col_dir, valve)


def plane_caption(view: MprView, timepoint: int, valve: ValveFrame | None = None) -> str:
    """The note of an MPR key image: the plane in words (relative to ``valve``, the volume's aligned annulus,
    when known), time point and field shown; then the numbers behind the words (``PlaneDescription.detail``)."""
    width, height = (s * view.pixel_mm for s in view.size)
    plane = view_plane(view, valve)
    return (f"{plane.words[:1].upper()}{plane.words[1:]}; time point {timepoint}, {width:.0f} × {height:.0f} mm"
            f" shown ({plane.detail})")


def key_image_planes(report: Report, valves: Mapping[str, ValveFrame] | None = None) -> dict[str, PlaneDescription]:
    """Key image id → its plane described (words and numbers, ``PlaneDescription.to_json`` for report.json),
    for the MPR key images of 3D marks; ``valves``: SOP Instance UID of a volume → its aligned annulus."""
    out = {}
    for key in report.key_images:
        marks = key_image_marks(report, key)
        if _is_mpr(marks):
            try:
                out[key.id] = view_plane(mpr_view(marks), (valves or {}).get(key.sop_instance_uid))
            except InputError:
                continue  # the points span no plane: the key image names that problem itself
    return out


def measurement_plane(report: Report, m: Measurement, valve: ValveFrame | None = None) -> PlaneDescription | None:
    """The plane a measurement on 3D marks was made in, described (words and numbers), for its row in the
    report; None when a mark of it is 2D, has no recorded plane, or its marks span no one plane."""
    on = [mk for mk in (report.mark(i) for i in m.source) if mk is not None]
    if len(on) != len(m.source) or not _is_mpr(on):
        return None
    try:
        return view_plane(mpr_view(on), valve)
    except InputError:
        return None


def _is_mpr(marks: Sequence[Mark]) -> bool:
    return bool(marks) and all(m.points3d and m.plane is not None for m in marks)


def _source(report: Report, key: KeyImage, ref: ImageRef, load_frame: FrameLoader,
            load_plane: PlaneLoader | None, valve: ValveFrame | None = None) -> tuple[np.ndarray, list[Mark], str]:
    """The picture of a key image, its marks in that picture's coordinates and a note saying what
    the picture is (an MPR's plane, for 3D marks, relative to ``valve`` when known; else none)."""
    marks = key_image_marks(report, key)
    if not _is_mpr(marks):
        return load_frame(ref, key.frame_number), [m for m in marks if m.points], ""
    if load_plane is None:
        raise InputError("its marks are 3D and no volume reader was given")
    view = mpr_view(marks)
    return (load_plane(ref, key.frame_number, view), marks_on_view(marks, view),
            plane_caption(view, key.frame_number, valve))


def render_all(report: Report, load_frame: FrameLoader, problems: list[str] | None = None,
               load_plane: PlaneLoader | None = None,
               valves: Mapping[str, ValveFrame] | None = None) -> dict[str, tuple[QImage, QImage]]:
    """Key image id → (native-size image for DICOM, enlarged image for PNG/PDF).

    With ``problems``, a frame that cannot be read (InputError) skips only its key image and is
    named there; without it the error propagates. A key image of 3D marks is an MPR read by ``load_plane``,
    its plane described relative to ``valves`` (volume SOP Instance UID → aligned annulus) when given.
    """
    captions = mark_captions(report)
    out = {}
    for key in report.key_images:
        ref = report.image(key.sop_instance_uid)
        if ref is None:
            continue
        try:
            frame, marks, note = _source(report, key, ref, load_frame, load_plane,
                                         (valves or {}).get(key.sop_instance_uid))
        except InputError as exc:
            if problems is None:
                raise
            problems.append(f"key image {key.id} not rendered: {exc}")
            continue
        scale = max(1, -(-800 // frame.shape[1]))
        out[key.id] = (render_key_image(frame, marks, captions, note=note),
                       render_key_image(frame, marks, captions, scale, note))
    return out


def write_pngs(report: Report, rendered: dict[str, tuple[QImage, QImage]], folder: Path) -> Report:
    """Write ``key-<id>.png`` files (no metadata chunks) and return the report pointing at them."""
    folder.mkdir(parents=True, exist_ok=True)
    keys = []
    for key in report.key_images:
        if key.id not in rendered:
            keys.append(key)
            continue
        path = folder / f"key-{key.id}.png"
        if not rendered[key.id][1].save(str(path), None, PNG_QUALITY):  # PNG by the suffix
            raise OSError(f"{path}: cannot write the key image")
        keys.append(replace(key, png=str(path)))
    return replace(report, key_images=tuple(keys))


def secondary_capture(source: Dataset, image: QImage, key: KeyImage, series_instance_uid: str,
                      instance_number: int, software_version: str, header: Header | None = None,
                      masked: bool = False) -> Dataset:
    """A Secondary Capture of ``image`` referencing the source frame, in the study of ``header``
    (the case's bound study; the source's when None), type-2 attributes present even if empty;
    ``masked``: the pixels outside the ultrasound regions were blanked (``report.mask``)."""
    import highdicom as hd

    from report.dicom_study import stamp_study, study_reference
    from report.mask import burned_in_annotation

    pixels = qimage_to_array(image)
    ref_dataset = study_reference(source, header) if header is not None else source
    sc = hd.sc.SCImage.from_ref_dataset(
        ref_dataset=ref_dataset, pixel_array=pixels, photometric_interpretation="RGB", bits_allocated=8,
        coordinate_system="PATIENT", series_instance_uid=series_instance_uid, series_number=KEY_IMAGE_SERIES_NUMBER,
        sop_instance_uid=hd.UID(), instance_number=instance_number, manufacturer="MitraPlan",
        patient_orientation=("A", "F"), transfer_syntax_uid=SC_TRANSFER_SYNTAX)
    sc["PatientOrientation"].value = None  # Type 2: a screen capture of an ultrasound frame has no patient orientation
    sc.Laterality = source.get("Laterality")  # Type 2C (General Series); the heart is unpaired: empty
    sc.ImageType = ["DERIVED", "SECONDARY"]
    sc.SeriesDescription = "MitraPlan key images"
    volume = is_volume_sop_class(str(source.SOPClassUID))
    what = f"MPR of time point {key.frame_number}" if volume else f"Frame {key.frame_number}"
    sc.DerivationDescription = f"{what} with measurement marks burned in: {key.label}"[:1024]
    sc.BurnedInAnnotation = burned_in_annotation(source, masked)
    sc.ImageComments = key.label[:10240]
    sc.SoftwareVersions = software_version or "unknown"
    ref = Dataset()
    ref.ReferencedSOPClassUID = source.SOPClassUID
    ref.ReferencedSOPInstanceUID = source.SOPInstanceUID
    if int(source.get("NumberOfFrames", 1) or 1) > 1 and not volume:  # a volume's frame is a slice, not a time point
        ref.ReferencedFrameNumber = key.frame_number
    sc.SourceImageSequence = [ref]
    return stamp_study(sc, header) if header is not None else sc
