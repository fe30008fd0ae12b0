"""Synthetic TID 5200 echo SRs shaped like the ones ultrasound carts send, for the SR import work.

No real vendor file is used; each builder imitates features seen in cart exports (GE Vivid /
EchoPAC style) that an importer must cope with, each listed where it is written:

* every value twice: once as measured (no Selection Status) and once again as the value the cart
  chose, with Selection Status (121404, DCM) = Mean value chosen (three beats averaged) or
  Most recent value chosen (a single measurement);
* Finding Site and Image Mode only on the enclosing Findings section and Measurement Group: the
  NUMs inherit them and carry none of their own;
* velocities in cm/s (the spectral calibration unit), not the app's m/s;
* legacy SNOMED-RT codes (scheme SRT: Finding Site G-C0E3, Mitral Valve T-35300, Image Mode G-0373,
  Doppler Continuous Wave R-409E3, Doppler Color Flow R-409E2, Measurement Method G-C036, Antegrade
  Flow R-42047, Regurgitant Flow G-0367, Cardiovascular Orifice Area G-038E), which PS3.16 lists
  beside the current SCT codes (CID 12221 notes some applications keep sending them), next to LOINC
  concept names and SCT Flow Direction;
* no image references or SCOORD on the NUMs (carts often send values without them).

``EXPECTED`` lists what an importer should make of :func:`ge_style_sr`: the selected value of each
concept in the app's unit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import highdicom as hd
from pydicom.dataset import Dataset
from pydicom.sr.codedict import codes
from pydicom.sr.coding import Code

R = hd.sr.RelationshipTypeValues
# legacy SNOMED-RT (SRT) codes beside their SCT equivalents (PS3.16 Table O-1 style mapping)
SRT_FINDING_SITE = Code("G-C0E3", "SRT", "Finding Site")  # SCT 363698007
SRT_MITRAL_VALVE = Code("T-35300", "SRT", "Mitral Valve")  # SCT 91134007
SRT_IMAGE_MODE = Code("G-0373", "SRT", "Image Mode")  # SCT 399264008
SRT_CW = Code("R-409E3", "SRT", "Doppler Continuous Wave")  # SCT 261198000
SRT_COLOUR = Code("R-409E2", "SRT", "Doppler Color Flow")  # SCT 261197005
SRT_METHOD = Code("G-C036", "SRT", "Measurement Method")  # SCT 370129005
SRT_ANTEGRADE = Code("R-42047", "SRT", "Antegrade Flow")  # SCT 263677008
SRT_REGURGITANT = Code("G-0367", "SRT", "Regurgitant Flow")  # SCT 397417004
SRT_ORIFICE_AREA = Code("G-038E", "SRT", "Cardiovascular Orifice Area")  # SCT 399367004
FLOW_DIRECTION = Code("260674002", "SCT", "Flow Direction")
PEAK_VELOCITY = Code("20355-4", "LN", "Peak Blood Velocity")
MEAN_GRADIENT = Code("20256-4", "LN", "Mean Gradient")
PHT = Code("20280-4", "LN", "Pressure Half-Time")
CM_S, MMHG, MS, CM2 = (Code("cm/s", "UCUM", "cm/s"), Code("mm[Hg]", "UCUM", "mmHg"), Code("ms", "UCUM", "ms"),
                       Code("cm2", "UCUM", "cm2"))
PISA = Code("125216", "DCM", "Proximal Isovelocity Surface Area")


@dataclass(frozen=True)
class Written:
    """One measurement as the cart writes it: its values (one per beat) and how the chosen one is picked."""

    name: Code
    unit: Code
    values: tuple[float, ...]
    flow: Code | None = None
    method: Code | None = None

    @property
    def chosen(self) -> float:
        """The mean of several values, else the single value (what the cart repeats as selected)."""
        return sum(self.values) / len(self.values)


#: CW group: transmitral inflow, three beats each (velocities in cm/s: 100, 120, 80 → mean 100 cm/s)
INFLOW = (Written(PEAK_VELOCITY, CM_S, (100.0, 120.0, 80.0), SRT_ANTEGRADE),
          Written(MEAN_GRADIENT, MMHG, (4.0, 5.5, 3.0), SRT_ANTEGRADE),  # mean 12.5 / 3 = 4.1667 mmHg
          Written(PHT, MS, (110.0,), SRT_ANTEGRADE))
#: colour group: PISA EROA of the residual jet, one measurement
JET = (Written(SRT_ORIFICE_AREA, CM2, (0.21,), SRT_REGURGITANT, PISA),)

#: Selected value per (concept code, flow code) in the app's unit: what an importer should keep.
EXPECTED: dict[tuple[str, str], tuple[float, str]] = {
    ("20355-4", "R-42047"): (1.0, "m/s"), ("20256-4", "R-42047"): (12.5 / 3, "mmHg"),
    ("20280-4", "R-42047"): (110.0, "ms"), ("G-038E", "G-0367"): (0.21, "cm2"),
}


def _mod(name: Code, value: Code, relationship: R = R.HAS_CONCEPT_MOD) -> hd.sr.CodeContentItem:
    return hd.sr.CodeContentItem(name=name, value=value, relationship_type=relationship)


def _num(w: Written, value: float, selection: Code | None) -> hd.sr.NumContentItem:
    """A NUM with only its flow direction and method: site and image mode are inherited."""
    num = hd.sr.NumContentItem(name=w.name, value=value, unit=w.unit, relationship_type=R.CONTAINS)
    items = [_mod(SRT_METHOD, w.method)] if w.method is not None else []
    if w.flow is not None:
        items.append(_mod(FLOW_DIRECTION, w.flow))
    if selection is not None:
        items.append(_mod(codes.DCM.SelectionStatus, selection, R.HAS_PROPERTIES))
    if items:
        num.ContentSequence = hd.sr.ContentSequence(items)
    return num


def _twice(w: Written) -> list[hd.sr.NumContentItem]:
    """Every value as measured, then the chosen one again with its Selection Status."""
    chosen = codes.DCM.MeanValueChosen if len(w.values) > 1 else codes.DCM.MostRecentValueChosen
    return [*(_num(w, v, None) for v in w.values), _num(w, round(w.chosen, 4), chosen)]


def _group(mode: Code, written: Sequence[Written]) -> hd.sr.ContainerContentItem:
    group = hd.sr.ContainerContentItem(name=codes.DCM.MeasurementGroup, relationship_type=R.CONTAINS)
    group.ContentSequence = hd.sr.ContentSequence(
        [_mod(SRT_IMAGE_MODE, mode), *(n for w in written for n in _twice(w))])
    return group


def ge_style_sr(evidence: Dataset) -> hd.sr.ComprehensiveSR:
    """A cart-style TID 5200 SR of the patient and study of ``evidence`` (a source image header):
    one Mitral Valve section (legacy SRT site) with a CW and a colour Measurement Group."""
    section = hd.sr.ContainerContentItem(name=codes.DCM.Findings, relationship_type=R.CONTAINS)
    section.ContentSequence = hd.sr.ContentSequence(
        [_mod(SRT_FINDING_SITE, SRT_MITRAL_VALVE), _group(SRT_CW, INFLOW), _group(SRT_COLOUR, JET)])
    device = hd.sr.ObserverContext(
        observer_type=codes.DCM.Device,
        observer_identifying_attributes=hd.sr.DeviceObserverIdentifyingAttributes(
            uid=hd.UID(), name="Cart", manufacturer_name="Synthetic Vendor", model_name="Cart SR imitation"))
    root = hd.sr.ContainerContentItem(name=codes.DCM.AdultEchocardiographyProcedureReport, template_id="5200")
    root.ContentSequence = hd.sr.ContentSequence(
        [*hd.sr.ObservationContext(observer_device_context=device), section])
    return hd.sr.ComprehensiveSR(
        evidence=[evidence], content=root, series_instance_uid=hd.UID(), series_number=990,
        sop_instance_uid=hd.UID(), instance_number=1, manufacturer="Synthetic Vendor", is_complete=True,
        is_final=True, is_verified=False, series_description="Echo measurements (cart-style imitation)")
