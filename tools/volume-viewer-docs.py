"""Render docs/screenshots/volume-viewer.png (and -systole.png): the volume viewer on the synthetic 4D TEE phantom.

Plane A and the en-face slab aligned to the valve from three annulus points (surgical view: anterior
up, anterolateral left), the crosshair on the clip, both orifices outlined as 3D planimetry marks
(diastole, time point 1), and the clip map's items on the en-face view: device D1 tied to the clip
and jet J1 to the medial orifice (filled), jet J2 at its schematic place through the annulus (hollow);
then time point 3 (orifices nearly closed). A mean-intensity slab of this
phantom shows the staircase of its voxelised 3 mm leaflet as stripes, so both pictures use the maximum.

Usage: QT_QPA_PLATFORM=offscreen .venv/bin/python tools/volume-viewer-docs.py [OUT.png]
"""

from __future__ import annotations

import math
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(out: Path) -> None:
    from PySide6.QtWidgets import QApplication

    from demo.volume_phantom import ORIFICES, write_enhanced_volume
    from gui.app import create_app
    from gui.session import CaseSession
    from gui.volume.viewer import VolumeWindow
    from imaging.volume import Volume
    from measurements.marks import MarkPlane, MarkType
    from planning import model
    from planning.commands import AddDevice, AddJet
    from planning.vocab import Attachment, DeviceKind, DeviceModelName, JetLocation, MRGrade, SegmentPair

    create_app()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "volume.dcm"
        truth = write_enhanced_volume(path)
        session = CaseSession()
        session.new()
        session.push(AddDevice(model.Device("d1", DeviceKind.MITRACLIP, DeviceModelName.G4_XTW, SegmentPair.A2_P2,
                                            attachment=Attachment.STABLE)))
        session.push(AddJet(model.Jet("j1", JetLocation.PARA_MEDIAL, SegmentPair.A2_P2, MRGrade.MODERATE,
                                      devices=("d1",))))
        session.push(AddJet(model.Jet("j2", JetLocation.COMMISSURAL_AL, SegmentPair.A1_P1, MRGrade.MILD)))
        window = VolumeWindow(Volume.open(path), session)
        window.resize(1200, 1000)
        window.show()
        viewer = window.viewer
        centre = np.asarray(truth["valve_centre_mm"])
        e1, e2 = np.asarray(truth["coaptation_dir"]), np.asarray(truth["across_dir"])
        right, down = -e1, e2  # lateral orifice at +e1 goes left; anterior at -e2 goes up
        viewer.keep_annulus(centre - 16 * down, centre - 16 * right, centre + 16 * right)
        typed = session.document.findings()
        medial = next(o for o in ORIFICES if o.name == "medial")
        viewer.tie(typed.devices[0], centre)
        viewer.tie(typed.jets[0], centre + medial.centre_mm * e1)
        viewer.planes.centre = centre.copy()  # the crosshair on the clip, plane B along the coaptation line
        plane = viewer.planes.plane(0)
        mark_plane = MarkPlane(tuple(plane.to_mm(plane.size[0] / 2, plane.size[0] / 2)), tuple(right), tuple(down))
        for orifice in ORIFICES:
            viewer.set_label(f"{orifice.name.capitalize()} orifice")
            a, b = orifice.semi_axes_mm
            middle = centre + orifice.centre_mm * e1
            points = [tuple(middle + a * math.cos(t) * e1 + b * math.sin(t) * e2)
                      for t in np.linspace(0, 2 * math.pi, 24, endpoint=False)]
            viewer.add_mark(MarkType.AREA, points, mark_plane)
        viewer.refresh()
        en_face = viewer.views[3]
        cx, cy, _ = viewer.planes.plane(3).to_image(centre)
        half = 21.0 / viewer.planes.pixel_mm  # the valve (annulus radius 16 mm) filling the view
        en_face.view_box.setRange(xRange=(cx - half, cx + half), yRange=(cy - half, cy + half), padding=0)
        viewer.redraw_overlays()
        for _ in range(5):
            QApplication.processEvents()
        out.parent.mkdir(parents=True, exist_ok=True)
        window.grab().save(str(out))
        viewer.set_time_index(2)
        for _ in range(5):
            QApplication.processEvents()
        window.grab().save(str(out.with_name(out.stem + "-systole.png")))
        window.close()
    print(out)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots" / "volume-viewer.png")
