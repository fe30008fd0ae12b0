"""Report fixtures: a hand-built report model (W16-like case) and stand-in US images written by pydicom."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from planning.assessment import JetInput, assess
from report.model import (
    Device,
    Grade,
    Header,
    ImageRef,
    Jet,
    KeyImage,
    Leaflets,
    LeafletSegment,
    Mark,
    Measurement,
    Report,
    Space,
)
from tests.planning.inputs import case_input

PATIENT = {"name": "Testperson^Erika^Maria", "id": "PID-778899", "birth": "19410203", "accession": "ACC-5566"}
US_MULTIFRAME = "1.2.840.10008.5.1.4.1.1.3.1"


def write_us_loop(path: Path, study_uid: str, series_uid: str, frames: int = 4, rows: int = 120,
                  cols: int = 160, patient_name: str = PATIENT["name"]) -> Dataset:
    """A small RGB US multi-frame with one 2D region at 0.05 cm/px (a stand-in for demo.phantom)."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = US_MULTIFRAME
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = US_MULTIFRAME
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID, ds.SeriesInstanceUID = study_uid, series_uid
    ds.PatientName, ds.PatientID, ds.PatientBirthDate, ds.PatientSex = patient_name, PATIENT["id"], PATIENT["birth"], "F"
    ds.AccessionNumber, ds.StudyDate, ds.StudyTime, ds.StudyID = PATIENT["accession"], "20250314", "101500", "1"
    ds.Modality, ds.SeriesNumber, ds.InstanceNumber = "US", 1, 1
    ds.ReferringPhysicianName, ds.Manufacturer, ds.InstitutionName = "Referrer^Rita", "StandIn", "Heart Centre Test"
    ds.ContentDate, ds.ContentTime = "20250314", "101500"
    ds.Laterality = None
    ds.PatientOrientation = ""
    ds.ImageType = ["ORIGINAL", "PRIMARY"]
    ds.FrameTime, ds.FrameIncrementPointer = 33.3, (0x0018, 0x1063)
    ds.BurnedInAnnotation = "NO"
    ds.LossyImageCompression = "00"
    region = Dataset()
    region.RegionSpatialFormat, region.RegionDataType, region.RegionFlags = 1, 1, 0
    region.RegionLocationMinX0, region.RegionLocationMinY0 = 0, 0
    region.RegionLocationMaxX1, region.RegionLocationMaxY1 = cols - 1, rows - 1
    region.PhysicalUnitsXDirection = region.PhysicalUnitsYDirection = 3
    region.PhysicalDeltaX = region.PhysicalDeltaY = 0.05
    ds.SequenceOfUltrasoundRegions = [region]
    yy, xx = np.mgrid[0:rows, 0:cols]
    base = ((np.hypot(xx - cols / 2, yy) < rows * 0.9) * 60).astype(np.uint8)
    pixels = np.stack([np.stack([base + 20 * k] * 3, axis=-1) for k in range(frames)])
    ds.set_pixel_data(pixels, "RGB", 8)
    ds.save_as(path, enforce_file_format=True)
    return ds


@pytest.fixture
def study(tmp_path: Path) -> dict[str, object]:
    """Two stand-in loops of one study on disk."""
    return make_study(tmp_path / "study")


def make_study(folder: Path) -> dict[str, object]:
    """Write two stand-in loops of one study into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    study_uid, series_uid = generate_uid(), generate_uid()
    a = write_us_loop(folder / "IM_0001.dcm", study_uid, series_uid)
    b = write_us_loop(folder / "IM_0002.dcm", study_uid, series_uid)
    return {"folder": folder, "study_uid": study_uid, "datasets": [a, b],
            "paths": [folder / "IM_0001.dcm", folder / "IM_0002.dcm"]}


def sample_report(study: dict[str, object], *, patient_name: str = PATIENT["name"]) -> Report:
    """A W16-like report referencing the stand-in loops: every section filled."""
    a, b = study["datasets"]
    paths = study["paths"]
    images = tuple(ImageRef(ds.SOPInstanceUID, ds.SOPClassUID, ds.SeriesInstanceUID, str(p), 4, 120, 160)
                   for ds, p in zip((a, b), paths, strict=False))
    ua, ub = a.SOPInstanceUID, b.SOPInstanceUID
    marks = (
        Mark("m1", "distance", "P1 free leaflet length", ua, 2, 0, ((40.0, 30.0), (40.0, 46.0))),
        Mark("m2", "area", "Lateral orifice planimetry", ua, 2, 0,
             ((60.0, 60.0), (100.0, 60.0), (100.0, 90.0), (60.0, 90.0))),
        Mark("m3", "distance", "J1 vena contracta", ub, 3, 0, ((80.5, 50.5), (89.5, 50.5))),
        Mark("m4", "point", "Clip 1 tip", ub, 3, 0, ((120.0, 40.0),)),
        Mark("m5", "distance", "D1 lateral edge to AL commissure", ua, 2, 0, ((10.0, 100.0), (28.0, 100.0))),
    )
    measurements = (
        Measurement("r1", "P1 free leaflet length", "distance", 0.80, "cm", ("m1",), method="2D caliper"),
        Measurement("r2", "Lateral orifice planimetry", "mva_planimetry", 2.40, "cm2", ("m2",),
                    (Grade("MVARC", "no significant MS", "S5"), Grade("EAE/ASE-2009-MS", "mild", "S3")),
                    method="Planimetry"),
        Measurement("r3", "J1 vena contracta", "vena_contracta", 0.45, "cm", ("m3",),
                    (Grade("ASE-2019-post-TEER", "moderate", "S2"),), method="2D colour caliper"),
        Measurement("r4", "Transmitral mean gradient", "mean_gradient", 3.2, "mmHg", ("m3",),
                    (Grade("MVARC", "no significant MS", "S5"),), method="Simplified Bernoulli"),
        Measurement("r5", "Heart rate", "heart_rate", 72.0, "bpm", ("m4",)),
        Measurement("r6", "MVA by pressure half-time", "mva_pht", 2.1, "cm2", ("m2",),
                    warnings=("PHT not validated after TEER",), method="Pressure half-time"),
        Measurement("r7", "D1 lateral edge to AL commissure", "distance", 0.90, "cm", ("m5",), method="2D caliper"),
    )
    devices = (Device("d1", "MitraClip", "G4 XTW", "A2-P2", "stable"),
               Device("d2", "PASCAL", "Ace", "A3-P3", "SLDA posterior", "rocking on the posterior leaflet"))
    jets = (Jet("j1", "para-clip lateral", "A1-P1", "moderate", 0.45),)
    leaflets = Leaflets(False, "no cleft seen", (LeafletSegment("P1", 0.80, "none"),
                                                 LeafletSegment("P2", None, "mild", "d1")),
                        (Space("D1 lateral edge to AL commissure", 0.90, "lateral"),), "mild")
    assessment = assess(case_input(mg=3.2, hr=72, mva=2.40, leaflet_cm=0.80, space_cm=0.90, slda=True,
                                   jets=(JetInput("j1", "para-clip lateral", "A1-P1", "moderate", 0.45),)))
    header = Header(patient_name=patient_name, patient_id=PATIENT["id"], birth_date=PATIENT["birth"], sex="F",
                    study_instance_uid=study["study_uid"], study_date="20250314", study_time="101500",
                    accession_number=PATIENT["accession"], study_description="TEE post-TEER",
                    institution="Heart Centre Test", operator="Dr. Op <i>Erator</i>",
                    indication="residual MR after index TEER", created="2025-03-15T09:00:00+00:00",
                    software_version="0.1.0", case_file="case.mitraplan.json", case_sha256="ab" * 32)
    key_images = (KeyImage("k1", ua, 2, "Leaflet and orifice", ("m1", "m2", "m5")),
                  KeyImage("k2", ub, 3, "Residual jet J1", ("m3", "m4")))
    return Report(header, devices, jets, leaflets, measurements, assessment, images, marks, key_images,
                  notes="Heart-team meeting Thursday.",
                  context={"surgical_risk": "intermediate", "etiology": "secondary", "operator": "Dr. Op"},
                  selected_ids={"mean_gradient": "r4", "heart_rate": "r5", "mva_planimetry": "r2", "mva_pht": "r6"})


@pytest.fixture
def report(study: dict[str, object]) -> Report:
    return sample_report(study)


def sources_of(study: dict[str, object]):
    """The Sources (headers + paths) of the stand-in study."""
    import pydicom

    from report.build import Sources

    paths = {ds.SOPInstanceUID: p for ds, p in zip(study["datasets"], study["paths"], strict=False)}
    return Sources({uid: pydicom.dcmread(p, stop_before_pixels=True) for uid, p in paths.items()}, paths)


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory):
    """The sample report exported once (A4, identified) — shared by the read-back tests."""
    from report.export import export_report

    root = tmp_path_factory.mktemp("export")
    study = make_study(root / "study")
    report = sample_report(study)
    result = export_report(report, sources_of(study), root / "out")
    return report, result
