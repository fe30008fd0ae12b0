"""The labels an MPR plane of a 3D volume offers: lengths, spaces, gaps, areas and landmarks, no Doppler."""

from __future__ import annotations

from measurements.marks import MarkType
from planning.labels import labels_for_volume, purpose_for

#: by hand: what a 3D caliper or polygon on a volume can mean, and what only a spectrum can
IN_3D = {"P2 residual leaflet length", "A2 residual leaflet length", "Space beside device", "Inter-clip gap",
         "Mitral annulus diameter", "Lateral orifice", "Medial orifice", "3D vena contracta area", "Vena contracta",
         "Clip tip", "Jet origin"}
DOPPLER = {"MV inflow CW", "MR jet CW", "LVOT PW", "Peak velocity", "R-R interval"}


def test_a_volume_offers_the_3d_meanings_and_no_doppler_meaning() -> None:
    offered = labels_for_volume(MarkType.DISTANCE)
    assert set(offered) >= IN_3D and not set(offered) & DOPPLER
    assert labels_for_volume(MarkType.AREA)[:3] == ["Lateral orifice", "Medial orifice", "Central orifice"]
    assert purpose_for("Inter-clip gap") is None  # a space: read through leaflets.spaces, never graded by itself
