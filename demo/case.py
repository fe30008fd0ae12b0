"""The demo case: marks placed where the demo phantom's truth says the structures are.

Every mark comes from the truth written by ``demo.phantom.write_demo_study`` (envelope
vertices, jet neck, hinge points, clip centres), so ``mitraplan measure`` on the demo case gives
numbers that can be checked by hand: CW inflow traces of two consecutive beats (mean gradient,
heart rate) and a pressure half-time constrained to the E-wave deceleration, the MR jet trace, the
PISA radius and the vena contracta of the lateral para-clip jet, the free leaflet lengths from the
hinges to the two clips, and the annulus diameter. Two MitraClip devices, the jet and the clinician's
total residual MR grade complete the findings.

The 4D volume gives the planimetered MVA: each orifice traced en face (3D MPR planimetry) at time
point 1 (fully open), summed. It is the case's one planimetered MVA (the 2D views have no en-face
view, so there is no 2D planimetry to mix with it); MVA by PHT stays a separate quantity. The volume is
its own phantom (demo/volume_phantom.py), not the 2D views' valve resliced: it draws the device bridge
between its two orifices as one clip-sized box. The volume is aligned to its annulus (``volumes[].annulus``,
as Align to valve saves it), so its MPR reads "en-face from the left atrium (aligned to annulus)", and the
two devices are tied to their halves of that box (``position_mm``), so the clip map draws them from 3D.

``build_prior_case`` builds the same case over ``demo.phantom.write_prior_study`` (the index TEER's final
result: one clip, the vena contracta 0.25 cm, MR mild, 60 bpm), without the volume's marks.

Not in the demo (the phantom has no view for it): continuity MVA (needs an LVOT view and a PW LVOT trace).
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from demo.phantom import DEMO_VOLUME, DemoStudy
from imaging.loop import read_info
from imaging.regions import UltrasoundRegion
from measurements.marks import Mark, MarkType
from planning.case import Case, save_case
from planning.model import Device, Jet, Leaflets, SegmentFinding, Tie3D
from planning.vocab import (
    Attachment,
    Calcification,
    DeviceKind,
    DeviceModelName,
    DevicePosition,
    JetLocation,
    MRGrade,
    Rhythm,
    Scallop,
    SegmentPair,
)

DEMO_CASE_NAME = "demo.mitraplan.json"
#: Aliasing velocity of the colour map after the baseline shift (entered by the user in a real case).
DEMO_ALIASING_M_S = 0.385
#: Beats of the inflow strip traced (two consecutive beats give the heart rate).
DEMO_INFLOW_BEATS = 2
#: The clinician's integrated total residual MR: the phantom has one jet, graded moderate on its vena
#: contracta (0.50 cm: moderate after TEER, ASE 2019); its PISA (EROA 0.10 cm², mild) is supportive only
#: after TEER, so the total is the jet's grade.
DEMO_TOTAL_MR = MRGrade.MODERATE
DEMO_TOTAL_MR_BASIS = ("one residual jet (lateral para-clip): vena contracta and colour extent, integrated;"
                       " PISA supportive only after TEER")

PRIOR_CASE_NAME = "prior.mitraplan.json"
#: The prior's role and date in the demo case's ``"priors"`` (the date of demo.phantom.PRIOR_SPEC's study).
PRIOR_ROLE, PRIOR_DATE = "index-procedure-final", "2025-06-10"
#: The prior's total residual MR, one class below the demo's: its jet's vena contracta is 0.25 cm
#: (< 0.3 cm: mild, ASE 2019), one jet, so the total is the jet's grade.
PRIOR_TOTAL_MR = MRGrade.MILD
PRIOR_TOTAL_MR_BASIS = ("one residual jet (lateral para-clip) after the first clip: vena contracta and colour"
                        " extent, integrated; PISA supportive only after TEER")


#: the volume's time point the orifices are traced at (1-based; opening 1.0: mid-diastole, fully open)
DEMO_PLANIMETRY_TIMEPOINT = 1
#: vertices of each traced orifice
ORIFICE_VERTICES = 48


def _image_path(path: Path, case_path: Path | None) -> str:
    if case_path is None:
        return str(path.resolve())
    return Path(os.path.relpath(path.resolve(), case_path.resolve().parent)).as_posix()


def _beat_envelopes(truth: dict[str, Any]) -> list[list[tuple[float, float]]]:
    """The signed (t s, v m/s) vertices of each complete beat on a strip, split at the beat spans."""
    beats = []
    for t0, t1 in truth["beats"]:
        beats.append([(t, v) for t, v in truth["envelope"] if t0 - 1e-9 <= t <= t1 + 1e-9])
    return beats


def _trace_points(region: UltrasoundRegion, envelope: list[tuple[float, float]]) -> tuple[tuple[float, float], ...]:
    return tuple(region.to_image(t, v * 100.0) for t, v in envelope)


def _middle(frames: list[int]) -> int:
    """1-based frame number of the middle of a list of 0-based frame indices."""
    return frames[len(frames) // 2] + 1


def annulus_points(volume: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The phantom's anterior (aortic) annulus, anterolateral and posteromedial commissure (mm), the three
    points the viewer's Align to valve takes: on its annulus circle, the commissures along the line of
    coaptation (the lateral orifice lies at +coaptation_dir), the anterior side taken at -across_dir."""
    from demo.volume_phantom import ANNULUS_RADIUS_MM

    centre, e1, e2 = (np.asarray(volume[k], float) for k in ("valve_centre_mm", "coaptation_dir", "across_dir"))
    return centre - ANNULUS_RADIUS_MM * e2, centre + ANNULUS_RADIUS_MM * e1, centre - ANNULUS_RADIUS_MM * e1


def en_face_plane(volume: dict[str, Any]) -> dict[str, list[float]]:
    """The valve's en-face plane as the viewer's Align to valve puts it from ``annulus_points``: through
    the valve centre, right = anterolateral → posteromedial commissure, down = away from the anterior
    annulus, so row × col = -valve_normal (the normal points to the atrium): seen from the left atrium."""
    anterior, lateral, medial = annulus_points(volume)
    right = (medial - lateral) / np.linalg.norm(medial - lateral)
    down = (lateral + medial) / 2.0 - anterior
    down /= np.linalg.norm(down)
    return {"origin": [float(v) for v in volume["valve_centre_mm"]],
            "row_dir": [float(v) for v in right], "col_dir": [float(v) for v in down]}


def orifice_outline(volume: dict[str, Any], name: str, opening: float) -> tuple[tuple[float, float, float], ...]:
    """ORIFICE_VERTICES points on orifice ``name``'s ellipse in the valve plane (mm, the volume's frame),
    radii scaled by sqrt(2π / (N sin(2π/N))) so the polygon's area is the ellipse's, π·a·b."""
    from demo.volume_phantom import ORIFICES

    orifice = next(o for o in ORIFICES if o.name == name)
    centre = np.asarray(next(o["centre_mm"] for o in volume["orifices"] if o["name"] == name), float)
    e1, e2 = (np.asarray(volume[k], float) for k in ("coaptation_dir", "across_dir"))
    n = ORIFICE_VERTICES
    scale = math.sqrt(2 * math.pi / (n * math.sin(2 * math.pi / n)))
    a, b = (s * opening * scale for s in orifice.semi_axes_mm)
    t = np.arange(n) * 2 * math.pi / n
    points = centre + np.outer(a * np.cos(t), e1) + np.outer(b * np.sin(t), e2)
    return tuple((float(x), float(y), float(z)) for x, y, z in points)


def _point3(v: list[float] | np.ndarray) -> tuple[float, float, float]:
    return float(v[0]), float(v[1]), float(v[2])


def aligned_volumes(volume: dict[str, Any]) -> list[dict[str, Any]]:
    """The case's ``volumes`` list: the phantom volume aligned to its annulus (``annulus_points``) at the
    planimetry's time point, as the viewer's Align to valve saves it."""
    from planning.enface import Annulus

    anterior, lateral, medial = (_point3(p) for p in annulus_points(volume))
    annulus = Annulus(anterior, lateral, medial, DEMO_PLANIMETRY_TIMEPOINT)
    return [{"sop_instance_uid": volume["sop_instance_uid"], "annulus": annulus.to_json()}]


def clip_ties(volume: dict[str, Any]) -> dict[str, Tie3D]:
    """Device id → its point on the en-face view: the phantom draws the two clips as one box
    (``CLIP_HALF_MM`` along the coaptation line, centred on the valve); each device is tied to the middle
    of its half, in the leaflet plane (the lateral one towards the anterolateral commissure, +coaptation_dir)."""
    from demo.volume_phantom import CLIP_HALF_MM

    centre, e1 = np.asarray(volume["clip_centre_mm"], float), np.asarray(volume["coaptation_dir"], float)
    half = CLIP_HALF_MM[0] / 2.0
    return {device: Tie3D(_point3(centre + side * half * e1), volume["sop_instance_uid"])
            for device, side in (("d1", -1.0), ("d2", 1.0))}


def _orifice_marks(volume: dict[str, Any]) -> list[Mark]:
    """The lateral and medial orifices traced en face at DEMO_PLANIMETRY_TIMEPOINT (3D marks). The two clips
    sit side by side: the devices imply up to three orifices and the en-face view shows two, so the sum
    is confirmed (``"confirmed": true``) past the orifice-count gate, as the reader would confirm it."""
    from measurements.marks import MarkPlane

    opening = volume["openings"][DEMO_PLANIMETRY_TIMEPOINT - 1]
    plane = en_face_plane(volume)
    mark_plane = MarkPlane(_point3(plane["origin"]), _point3(plane["row_dir"]), _point3(plane["col_dir"]))
    return [Mark(f"m_orifice_{name[:3]}", MarkType.AREA, f"{name.capitalize()} orifice area (3D MPR planimetry)",
                 volume["sop_instance_uid"], DEMO_PLANIMETRY_TIMEPOINT, None, (), purpose="orifice",
                 points3d=orifice_outline(volume, name, opening), plane=mark_plane)
            for name in ("lateral", "medial")]


def build_demo_case(demo: DemoStudy, case_path: Path | None = None) -> Case:
    """The demo case over ``demo``; image paths relative to ``case_path`` when given."""
    return _build_case(demo, case_path, DEMO_TOTAL_MR, DEMO_TOTAL_MR_BASIS,
                       "Demo case over the synthetic MitraPlan phantom (known truth); not patient data.")


def build_prior_case(prior: DemoStudy, case_path: Path | None = None) -> Case:
    """The prior's case over ``demo.phantom.write_prior_study``'s study: the same marks on its truth (so the
    vena contracta measures 0.25 cm), its one clip and total MR one class below the demo's (PRIOR_TOTAL_MR);
    no 3D planimetry (the prior has no volume)."""
    return _build_case(prior, case_path, PRIOR_TOTAL_MR, PRIOR_TOTAL_MR_BASIS,
                       "Demo prior: the index TEER's final intraprocedural result, synthetic (known truth);"
                       " not patient data.")


def _build_case(demo: DemoStudy, case_path: Path | None, total: MRGrade, basis: str, notes: str) -> Case:
    """A case over a phantom study: every mark from its truth; the jet graded ``total`` (its only jet);
    the 3D orifices, ties and aligned volume only when the study has the volume."""
    truth, files = demo.truth, demo.files
    infos = {key: read_info(path) for key, path in files.items()}
    uid = {key: info.sop_instance_uid for key, info in infos.items()}
    first = infos["me_commissural"]
    marks: list[Mark] = []

    inflow, mr = truth["cw_mv_inflow"], truth["cw_mr"]
    inflow_region = infos["cw_mv_inflow"].regions[inflow["spectral_region"]]
    inflow_beats = _beat_envelopes(inflow)[:DEMO_INFLOW_BEATS]
    for i, beat in enumerate(inflow_beats, start=1):
        marks.append(Mark(f"m_inflow{i}", MarkType.DOPPLER_TRACE, f"MV inflow CW, beat {i}", uid["cw_mv_inflow"], 1,
                          inflow_region.index, _trace_points(inflow_region, beat), purpose="mv_inflow"))
    mr_region = infos["cw_mr"].regions[mr["spectral_region"]]
    marks.append(Mark("m_mr", MarkType.DOPPLER_TRACE, "MR jet CW", uid["cw_mr"], 1, mr_region.index,
                      _trace_points(mr_region, _beat_envelopes(mr)[0]), purpose="mr_jet"))

    colour = truth["color_flow"]
    systole = _middle(colour["systolic_frames"])
    neck_x, neck_y = colour["jet_neck"]
    half_px = colour["vena_contracta_cm"] / colour["delta_cm"][0] / 2.0  # the neck is horizontal
    marks.append(Mark("m_vc", MarkType.DISTANCE, "Lateral para-clip jet vena contracta", uid["color_flow"], systole,
                      colour["color_region"], ((neck_x - half_px, neck_y), (neck_x + half_px, neck_y)),
                      purpose="vena_contracta"))
    marks.append(Mark("m_pisa_r", MarkType.DISTANCE, "Lateral jet PISA radius", uid["color_flow"], systole,
                      colour["color_region"], ((neck_x, neck_y), (neck_x, neck_y + 20.0)), purpose="pisa_radius"))

    commissural = truth["me_commissural"]
    closed = _middle(commissural["systolic_frames"])
    hinges = sorted(commissural["annulus_points"])
    clips = sorted(commissural["clip_centres"])
    for segment, hinge, clip in (("P3", hinges[0], clips[0]), ("P1", hinges[-1], clips[-1])):
        marks.append(Mark(f"m_{segment.lower()}", MarkType.DISTANCE, f"{segment} free leaflet length (hinge to clip)",
                          uid["me_commissural"], closed, 0, (tuple(hinge), tuple(clip)),
                          purpose="posterior_leaflet_length"))
    long_axis = truth["me_long_axis"]
    marks.append(Mark("m_annulus", MarkType.DISTANCE, "Mitral annulus diameter (long axis)", uid["me_long_axis"],
                      _middle(long_axis["systolic_frames"]), 0,
                      tuple(tuple(p) for p in long_axis["annulus_points"]), purpose="annulus_diameter"))

    volume = truth.get(DEMO_VOLUME)
    orifices = [] if volume is None else _orifice_marks(volume)
    marks.extend(orifices)
    ties = {} if volume is None else clip_ties(volume)
    images = [{"sop_instance_uid": uid[key], "path": _image_path(path, case_path)} for key, path in files.items()]
    calculations: list[dict[str, Any]] = [
        {"id": "c_pisa", "type": "pisa", "label": "Lateral jet PISA", "radius_mark": "m_pisa_r",
         "aliasing_velocity_m_s": DEMO_ALIASING_M_S, "mr_trace_mark": "m_mr"}]
    extra: dict[str, Any] = {"residual_mr": {"total_grade": total.value, "basis": basis}}
    if volume is not None:
        images.append({"sop_instance_uid": volume["sop_instance_uid"],
                       "path": _image_path(demo.volumes[DEMO_VOLUME], case_path)})
        extra["volumes"] = aligned_volumes(volume)
    devices = [Device("d1", DeviceKind.MITRACLIP, DeviceModelName.G4_XTW, SegmentPair.A2_P2, DevicePosition.MEDIAL,
                      Attachment.STABLE, extra={"image_point": list(clips[0])}, tie=ties.get("d1")).to_json()]
    if len(clips) > 1:
        devices.append(Device("d2", DeviceKind.MITRACLIP, DeviceModelName.G4_NTW, SegmentPair.A2_P2,
                              DevicePosition.LATERAL, Attachment.STABLE, extra={"image_point": list(clips[-1])},
                              tie=ties.get("d2")).to_json())

    e_peak_t = inflow_beats[0][1][0]
    half_t = inflow_beats[0][2][0]  # the phantom decelerates linearly from the E peak to V0/√2 here
    return Case(
        study={"study_instance_uid": first.study_instance_uid, "patient_name": first.patient_name,
               "patient_id": first.patient_id, "study_date": first.study_date, "rhythm": Rhythm.SINUS.value},
        images=images,
        marks=marks,
        calculations=[
            *calculations,
            {"id": "c_pht", "type": "pht", "label": "MV inflow beat 1", "trace_mark": "m_inflow1",
             "fit_span_s": [e_peak_t, half_t]},
            *([{"id": "c_mva3d", "type": "planimetry", "label": "MVA by 3D MPR planimetry (2 orifices traced)",
                "area_marks": [m.id for m in orifices], "confirmed": True}] if orifices else []),
        ],
        devices=devices,
        jets=[Jet("j1", JetLocation(colour["jet_location"]), SegmentPair.A2_P2, total,
                  vena_contracta_mark="m_vc", pisa_calculation="c_pisa").to_json()],
        leaflets=Leaflets({Scallop.P3: SegmentFinding("m_p3", Calcification.NONE),
                           Scallop.P1: SegmentFinding("m_p1", Calcification.NONE)},
                          notes="Demo: free length measured hinge to clip, systole.").to_json(),
        notes=notes,
        path=None if case_path is None else case_path.resolve(),
        extra=extra,
    )


def write_demo_case(demo: DemoStudy, folder: Path, priors: list[dict[str, str]] | None = None) -> Path:
    """Build the demo case and save it as ``folder/demo.mitraplan.json``, naming ``priors`` (the case's
    ``"priors"`` list) when given; returns its path."""
    path = Path(folder) / DEMO_CASE_NAME
    case = build_demo_case(demo, path)
    if priors:
        case.extra["priors"] = priors
    save_case(case, path)
    return path


def write_prior_case(prior: DemoStudy, folder: Path) -> Path:
    """Build the prior's case (``build_prior_case``) and save it as ``folder/prior.mitraplan.json``."""
    path = Path(folder) / PRIOR_CASE_NAME
    save_case(build_prior_case(prior, path), path)
    return path
