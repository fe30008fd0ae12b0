"""The ECG of a loop and its beats: R waves, heart rate and the ECG waveform, from the header only.

Sources, most trusted first (PS3.3):

* R waves: R Wave Time Vector (0018,6060, ms from the first frame) or R Wave Pointer (0028,6040,
  frame numbers), both read by ``imaging.timing``; otherwise the R peaks of an ECG waveform.
* Heart rate: Heart Rate (0018,1088); otherwise 60000 / the mean R-R interval of those R waves;
  otherwise Nominal Interval (0018,1062, the mean R-R interval in ms the scanner used).
* ECG waveform: a Waveform Sequence (5400,0100) in the image (C.10.9, as some vendors write one into
  US images), or a separate waveform object (General/12-lead ECG, A.34) of the same series, its clock
  tied to the image's by their Acquisition DateTimes (C.7.4.2 Synchronization).
* Trigger Time (0018,1060): ms from the R wave to a triggered still.

Waveform times are ms from the loop's first frame: Multiplex Group Time Offset (0018,1068) plus
sample / Sampling Frequency. The R-peak detector is meant for a clean monitoring lead (as scanners
record it); R waves stated in the header always win over detected ones.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydicom import dcmread
from pydicom.filereader import read_file_meta_info

#: SOP Class UIDs of the waveform objects whose channels may be an ECG (PS3.4 B.5, "Waveform").
ECG_WAVEFORM_CLASSES = frozenset({
    "1.2.840.10008.5.1.4.1.1.9.1.1",  # 12-lead ECG Waveform Storage
    "1.2.840.10008.5.1.4.1.1.9.1.2",  # General ECG Waveform Storage
    "1.2.840.10008.5.1.4.1.1.9.1.3",  # Ambulatory ECG Waveform Storage
    "1.2.840.10008.5.1.4.1.1.9.3.1",  # Cardiac Electrophysiology Waveform Storage
    "1.2.840.10008.5.1.4.1.1.9.2.1",  # Hemodynamic Waveform Storage (carries an ECG lead too)
})
#: An R peak stands above this fraction of the lead's largest excursion from its median.
R_PEAK_FRACTION = 0.5
#: Two R peaks are at least this far apart (a rate below 240 /min).
MIN_RR_MS = 250.0
#: Waveform folders larger than this are not searched for a linked ECG (a whole archive, not a series).
MAX_SIBLINGS = 2000


@dataclass(frozen=True, eq=False)
class EcgTrace:
    """One ECG lead on the loop's clock: ``times_ms[i]`` (from the first frame) and ``values[i]`` in ``units``."""

    times_ms: np.ndarray
    values: np.ndarray
    units: str
    label: str
    source: str

    @property
    def duration_ms(self) -> float:
        return float(self.times_ms[-1] - self.times_ms[0]) if len(self.times_ms) > 1 else 0.0


# --- numbers from the header -------------------------------------------------------------------

def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None  # NaN and infinities are no times or rates


def heart_rate_from_r_waves(r_waves_ms: Sequence[float]) -> float | None:
    """60000 / the mean R-R interval (ms) of two or more R waves; None for fewer or no spread."""
    times = sorted(float(t) for t in r_waves_ms)
    if len(times) < 2 or times[-1] <= times[0]:
        return None
    return 60000.0 * (len(times) - 1) / (times[-1] - times[0])


def heart_rate_bpm(ds: Any, r_waves_ms: Sequence[float]) -> float | None:
    """Heart Rate (0018,1088) when positive; else from the R waves; else 60000 / Nominal Interval (0018,1062)."""
    rate = _number(getattr(ds, "HeartRate", None))
    if rate and rate > 0:
        return rate
    from_r_waves = heart_rate_from_r_waves(r_waves_ms)
    if from_r_waves is not None:
        return from_r_waves
    interval = _number(getattr(ds, "NominalInterval", None))
    return 60000.0 / interval if interval and interval > 0 else None


def trigger_time_ms(ds: Any) -> float | None:
    """Trigger Time (0018,1060): ms from the R wave to this (triggered) image, when stated."""
    value = _number(getattr(ds, "TriggerTime", None))
    return value if value is not None and value >= 0 else None


# --- the waveform --------------------------------------------------------------------------------

def _code_meaning(item: Any, sequence: str) -> str:
    codes = getattr(item, sequence, None) or ()
    return str(getattr(codes[0], "CodeMeaning", "") or getattr(codes[0], "CodeValue", "")) if codes else ""


def _ecg_channel(group: Any) -> int | None:
    """Index of the lead to show: Lead II (the rhythm lead), else the first lead, else channel 0."""
    channels = list(getattr(group, "ChannelDefinitionSequence", None) or ())
    if not channels:
        return None
    meanings = [_code_meaning(c, "ChannelSourceSequence").lower() for c in channels]
    for wanted in ("lead ii", "lead", "ecg"):
        for i, meaning in enumerate(meanings):
            if meaning == wanted or (wanted != "lead ii" and wanted in meaning):
                return i
    return 0


def _is_ecg_group(group: Any) -> bool:
    """A multiplex group holding an ECG: an ECG label, or a channel whose source names a lead."""
    label = str(getattr(group, "MultiplexGroupLabel", "") or "").upper()
    meanings = [_code_meaning(c, "ChannelSourceSequence").lower()
                for c in getattr(group, "ChannelDefinitionSequence", None) or ()]
    return "ECG" in label or label == "RHYTHM" or any("lead" in m or "ecg" in m for m in meanings)


def ecg_from_dataset(ds: Any, offset_ms: float = 0.0, source: str = "Waveform Sequence") -> EcgTrace | None:
    """The ECG lead of ``ds``'s Waveform Sequence on the loop's clock (``offset_ms`` added), or None.

    None when there is no waveform, no ECG group, or the group is unreadable (a damaged waveform
    never stops a loop from opening).
    """
    try:
        return _first_ecg(ds, offset_ms, source)
    except Exception:  # noqa: BLE001 - any malformed waveform attribute: no ECG, the loop opens as before
        return None


def _first_ecg(ds: Any, offset_ms: float, source: str) -> EcgTrace | None:
    groups = list(getattr(ds, "WaveformSequence", None) or ())
    for index, group in enumerate(groups):
        if not _is_ecg_group(group):
            continue
        channel = _ecg_channel(group)
        rate = _number(getattr(group, "SamplingFrequency", None))
        if channel is None or not rate or rate <= 0:
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                samples = np.asarray(ds.waveform_array(index), dtype=np.float64)
        except Exception:  # noqa: BLE001 - a damaged waveform: no ECG, the loop itself is unaffected
            continue
        if samples.ndim != 2 or samples.shape[0] < 2 or channel >= samples.shape[1]:
            continue
        start = offset_ms + (_number(getattr(group, "MultiplexGroupTimeOffset", None)) or 0.0)
        definition = group.ChannelDefinitionSequence[channel]
        return EcgTrace(
            times_ms=start + np.arange(samples.shape[0], dtype=np.float64) * (1000.0 / rate),
            values=samples[:, channel],
            units=_units(definition),
            label=_code_meaning(definition, "ChannelSourceSequence") or "ECG",
            source=source,
        )
    return None


def _units(definition: Any) -> str:
    units = getattr(definition, "ChannelSensitivityUnitsSequence", None) or ()
    return str(getattr(units[0], "CodeValue", "") or "") if units else ""


def r_waves_from_trace(trace: EcgTrace) -> tuple[float, ...]:
    """R-wave times (ms) of an ECG lead: the tallest sample of each excursion above half the peak.

    The lead is taken about its median; a lead recorded upside down (R deeper than tall) is turned.
    Peaks closer than MIN_RR_MS to a taller one are dropped (a T wave, a double-counted R).
    """
    x = trace.values - np.median(trace.values)
    if not len(x) or not np.any(x):
        return ()
    if -x.min() > x.max():
        x = -x
    above = x > R_PEAK_FRACTION * x.max()
    edges = np.flatnonzero(np.diff(np.concatenate(([0], above.astype(np.int8), [0]))))
    peaks = [int(a + np.argmax(x[a:b])) for a, b in zip(edges[::2], edges[1::2], strict=True)]
    kept: list[int] = []
    for p in peaks:
        if kept and trace.times_ms[p] - trace.times_ms[kept[-1]] < MIN_RR_MS:
            if x[p] > x[kept[-1]]:
                kept[-1] = p
            continue
        kept.append(p)
    return tuple(round(float(trace.times_ms[p]), 3) for p in kept)


def r_waves_from_waveform(ds: Any) -> tuple[float, ...]:
    """R waves (ms from the first frame) detected in the image's own ECG waveform, if it has one."""
    trace = ecg_from_dataset(ds)
    return r_waves_from_trace(trace) if trace is not None else ()


# --- a linked waveform object ------------------------------------------------------------------------

def _acquisition_ms(ds: Any) -> float | None:
    """Acquisition DateTime (or Acquisition Date + Time, else Content Date + Time) in ms since the epoch."""
    text = str(getattr(ds, "AcquisitionDateTime", "") or "").strip()
    if not text:
        for date_key, time_key in (("AcquisitionDate", "AcquisitionTime"), ("ContentDate", "ContentTime")):
            date, time = (str(getattr(ds, k, "") or "").strip() for k in (date_key, time_key))
            if date and time:
                text = date + time
                break
    if len(text) < 14:
        return None
    text = text.split("+")[0].split("-")[0]
    try:
        whole = dt.datetime.strptime(text[:14], "%Y%m%d%H%M%S")
    except ValueError:
        return None
    fraction = float("0" + text[14:]) if text[14:15] == "." and text[15:].isdigit() else 0.0
    return whole.replace(tzinfo=dt.UTC).timestamp() * 1000.0 + fraction * 1000.0


@functools.lru_cache(maxsize=32)
def _waveforms_in(folder: Path, _mtime_ns: int) -> tuple[tuple[str, str, Path], ...]:
    """(Series Instance UID, Synchronization Frame of Reference UID, path) of every ECG waveform object
    directly in ``folder``; cached per folder state."""
    found = []
    files = sorted(p for p in folder.iterdir() if p.is_file())[:MAX_SIBLINGS]
    for path in files:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                # the file meta alone (a few hundred bytes) says whether it is a waveform: images are skipped unread
                if str(getattr(read_file_meta_info(path), "MediaStorageSOPClassUID", "")) not in ECG_WAVEFORM_CLASSES:
                    continue
                head = dcmread(path, stop_before_pixels=True, force=True,
                               specific_tags=["SeriesInstanceUID", "SynchronizationFrameOfReferenceUID"])
        except Exception:  # noqa: BLE001 - not DICOM, unreadable: not a waveform
            continue
        found.append((str(getattr(head, "SeriesInstanceUID", "")),
                      str(getattr(head, "SynchronizationFrameOfReferenceUID", "")), path))
    return tuple(found)


def linked_ecg(image: Any, image_path: Path) -> EcgTrace | None:
    """The ECG of a waveform object beside ``image_path`` in the same series (or synchronised to it).

    Its samples are placed on the loop's clock by the difference of the two Acquisition DateTimes;
    without both times the waveform cannot be aligned and is not used.
    """
    folder = Path(image_path).parent
    try:
        siblings = _waveforms_in(folder, folder.stat().st_mtime_ns)
    except OSError:
        return None
    series = str(getattr(image, "SeriesInstanceUID", "") or "")
    sync = str(getattr(image, "SynchronizationFrameOfReferenceUID", "") or "")
    start = _acquisition_ms(image)
    for wave_series, wave_sync, path in siblings:
        if not ((series and wave_series == series) or (sync and wave_sync == sync)):
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                wave = dcmread(path, force=True)
        except Exception:  # noqa: BLE001 - unreadable waveform: no ECG
            continue
        wave_start = _acquisition_ms(wave)
        if start is None or wave_start is None:
            continue
        trace = ecg_from_dataset(wave, offset_ms=wave_start - start, source=path.name)
        if trace is not None:
            return trace
    return None


def read_ecg(path: Path) -> EcgTrace | None:
    """The ECG shown under a loop: its own Waveform Sequence, else a linked waveform object, else None."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            header = dcmread(path, stop_before_pixels=True, force=True)
    except Exception:  # noqa: BLE001 - the loop opened, its header is readable; anything else: no ECG
        return None
    return ecg_from_dataset(header) or linked_ecg(header, Path(path))
