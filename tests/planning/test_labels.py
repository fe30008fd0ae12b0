"""The label list offered for a mark depends on the region it lies on; no label is ever a default.

Regions are built by hand with the DICOM codes of PS3.3 C.8.5.5: Region Spatial Format 1 (2D) or
3 (spectral), Region Data Type 1 (tissue), 2 (colour flow), 3 (PW) or 4 (CW), as a TEE scanner
writes for a B-mode loop, a colour-flow loop and a CW/PW Doppler strip.
"""

from __future__ import annotations

import pytest

import planning.labels as labels
from imaging.regions import UltrasoundRegion
from measurements.marks import Mark, MarkType
from measurements.results import Result
from planning.labels import (
    CLINICAL_LABELS,
    OFFERED_ON,
    RegionKind,
    fits,
    labelled_results,
    labels_for,
    labels_for_regions,
    purpose_for,
    region_kind,
)
from tests.measurements.factories import spatial_region, spectral_region

TISSUE_2D = spatial_region(data_type=1)
COLOUR_2D = spatial_region(data_type=2)
CW_STRIP = spectral_region(data_type=4)
PW_STRIP = spectral_region(data_type=3)
M_MODE = UltrasoundRegion(index=2, spatial_format=2, data_type=1, flags=0, location=(0, 0, 99, 99),
                          bounds=(0, 0, 99, 99), units_x=4, units_y=3, delta_x=0.01, delta_y=0.02)

#: What each kind of label is, by hand (not from the module's tables).
LENGTHS = {"P1 residual leaflet length", "P2 residual leaflet length", "P3 residual leaflet length",
           "A1 residual leaflet length", "A2 residual leaflet length", "A3 residual leaflet length",
           "LVOT diameter", "Mitral annulus diameter", "Space beside device"}
AREAS = {"Lateral orifice", "Medial orifice", "Central orifice"}
DOPPLER = {"MV inflow CW", "MR jet CW", "LVOT PW", "Peak velocity", "R-R interval"}
COLOUR_MEANINGS = {"Vena contracta", "Lateral jet vena contracta", "Medial jet vena contracta", "PISA radius",
                   "3D vena contracta area"}


def test_no_default_label_is_left() -> None:
    assert not hasattr(labels, "default_label")


@pytest.mark.parametrize("strip", [CW_STRIP, PW_STRIP])
def test_a_spectral_strip_offers_doppler_meanings_and_no_lengths_or_areas(strip: UltrasoundRegion) -> None:
    for kind in (None, *MarkType):
        offered = set(labels_for(strip, kind))
        assert offered == DOPPLER
        assert not offered & (LENGTHS | AREAS | COLOUR_MEANINGS)


def test_a_2d_tissue_image_offers_lengths_areas_spaces_and_no_doppler_meaning() -> None:
    offered = set(labels_for(TISSUE_2D, MarkType.DISTANCE))
    assert offered >= LENGTHS | AREAS
    assert not offered & DOPPLER
    assert not offered & COLOUR_MEANINGS
    assert labels_for(TISSUE_2D, MarkType.AREA)[:3] == ["Lateral orifice", "Medial orifice", "Central orifice"]


def test_a_colour_flow_image_offers_the_jet_measurements() -> None:
    offered = labels_for(COLOUR_2D, MarkType.DISTANCE)
    assert offered[:4] == ["Vena contracta", "Lateral jet vena contracta", "Medial jet vena contracta", "PISA radius"]
    assert set(offered) >= COLOUR_MEANINGS
    assert not set(offered) & (DOPPLER | LENGTHS)


def test_region_kind_from_spatial_format_and_data_type() -> None:
    assert [region_kind(r) for r in (TISSUE_2D, COLOUR_2D, CW_STRIP, PW_STRIP, M_MODE, None)] == [
        RegionKind.TISSUE, RegionKind.COLOUR_FLOW, RegionKind.SPECTRAL, RegionKind.SPECTRAL, RegionKind.OTHER,
        RegionKind.OTHER]


def test_an_unknown_region_offers_every_label_and_every_label_has_its_regions() -> None:
    names = [name for name, _, _ in CLINICAL_LABELS]
    assert set(OFFERED_ON) == set(names)
    assert sorted(labels_for(M_MODE)) == sorted(names) == sorted(labels_for(None))


def test_an_image_before_a_mark_is_drawn_offers_the_labels_of_its_regions() -> None:
    # a CW loop: a 2D tissue inset above the spectral strip
    offered = labels_for_regions([TISSUE_2D, CW_STRIP], MarkType.DOPPLER_TRACE)
    assert offered[:3] == ["MV inflow CW", "MR jet CW", "LVOT PW"]
    assert set(offered) == set(labels_for(TISSUE_2D)) | DOPPLER
    assert labels_for_regions([]) == labels_for(None)


def test_a_clinical_label_fits_only_its_regions_and_a_typed_label_fits_anywhere() -> None:
    assert fits("P2 residual leaflet length", TISSUE_2D) and not fits("p2 residual leaflet length", CW_STRIP)
    assert fits("MV inflow CW", CW_STRIP) and not fits("MV inflow CW", TISSUE_2D)
    assert fits("my own caliper", CW_STRIP) and fits("", CW_STRIP)
    assert purpose_for("  mv inflow cw ") == "mv_inflow" and purpose_for("my own caliper") is None
    assert purpose_for("") is None


def test_labelled_results_leave_out_everything_an_unlabelled_mark_gives() -> None:
    marks = [Mark("a", MarkType.DISTANCE, "LVOT diameter", "1.2.3", 1, 0, ((0, 0), (1, 1))),
             Mark("b", MarkType.DISTANCE, "  ", "1.2.3", 1, 0, ((0, 0), (1, 1)), purpose="vena_contracta")]
    results = [Result("a.distance", "LVOT diameter", "distance", 2.0, "cm", ("a",)),
               Result("b.distance", "Unlabelled b", "distance", 0.6, "cm", ("b",)),
               Result("c.x", "both", "distance", 1.0, "cm", ("a", "b")),
               Result("header.hr", "HR", "heart_rate", 70.0, "bpm", ())]
    assert [r.id for r in labelled_results(marks, results)] == ["a.distance", "header.hr"]


def test_a_findings_mark_value_is_never_an_unlabelled_marks() -> None:
    """docs/case-file.md: a jet's vena contracta, a segment length, a gap or a space from an unlabelled mark
    is shown as measured, never used (planning.findings.mark_value reads it as no value)."""
    from planning.findings import mark_value

    marks = [Mark("vc", MarkType.DISTANCE, "Vena contracta", "1.2.3", 1, 0, ((0, 0), (1, 1)), purpose="vena_contracta"),
             Mark("raw", MarkType.DISTANCE, "", "1.2.3", 1, 0, ((0, 0), (1, 1)))]
    results = [Result("vc.distance", "Vena contracta", "distance", 0.5, "cm", ("vc",)),
               Result("raw.distance", "Unlabelled distance", "distance", 0.5, "cm", ("raw",))]
    hit = mark_value(results, marks, "vc", ("distance",))
    assert hit is not None and hit.id == "vc.distance"
    assert mark_value(results, marks, "raw", ("distance",)) is None
