"""A synthetic monitoring ECG for phantom loops: R Wave Time Vector plus a Waveform Sequence.

It imitates what echo scanners record with a loop from their 3-lead monitoring ECG: the R-wave
times the scanner detected (R Wave Time Vector (0018,6060), ms from the first frame, as GE and
Philips write for gated acquisitions) and the lead itself as a Waveform Sequence (5400,0100) in the
image (PS3.3 C.10.9): one multiplex group "ECG", one channel "Lead II", 16-bit signed samples of
1 µV at 500 Hz, its time offset 0 at the first frame. Each beat is a PQRST sum of Gaussians.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from pydicom import dcmread
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.uid import UID, ExplicitVRLittleEndian, generate_uid

from demo.phantom import write_cine_loop

SAMPLING_HZ = 500.0
#: (ms from the R wave, amplitude mV, width ms) of the P, Q, R, S and T waves of one beat.
PQRST = ((-160.0, 0.12, 22.0), (-28.0, -0.12, 7.0), (0.0, 1.2, 9.0), (28.0, -0.25, 8.0), (270.0, 0.3, 45.0))


def ecg_mv(times_ms: np.ndarray, r_waves_ms: Sequence[float]) -> np.ndarray:
    """Lead II (mV) at ``times_ms``: one PQRST complex at every R wave (and the beats just outside)."""
    values = np.zeros_like(times_ms, dtype=np.float64)
    rr = float(np.mean(np.diff(r_waves_ms))) if len(r_waves_ms) > 1 else 800.0
    beats = [r_waves_ms[0] - rr, *r_waves_ms, r_waves_ms[-1] + rr]
    for r in beats:
        for offset, amplitude, width in PQRST:
            values += amplitude * np.exp(-0.5 * ((times_ms - r - offset) / width) ** 2)
    return values


def _code(value: str, scheme: str, meaning: str) -> Dataset:
    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = value, scheme, meaning
    return item


def waveform_item(r_waves_ms: Sequence[float], duration_ms: float, offset_ms: float = 0.0) -> Dataset:
    """One Waveform Sequence item: the ECG from ``offset_ms`` for ``duration_ms``, Lead II in µV."""
    n = int(duration_ms * SAMPLING_HZ / 1000.0) + 1
    times = offset_ms + np.arange(n) * (1000.0 / SAMPLING_HZ)
    microvolts = np.round(ecg_mv(times, r_waves_ms) * 1000.0).astype("<i2")
    channel = Dataset()
    channel.ChannelSourceSequence = [_code("5.6.3-9-2", "SCPECG", "Lead II")]
    channel.ChannelSensitivity = "1"
    channel.ChannelSensitivityUnitsSequence = [_code("uV", "UCUM", "microvolt")]
    channel.ChannelSensitivityCorrectionFactor = "1"
    channel.ChannelBaseline = "0"
    channel.ChannelSampleSkew = "0"
    channel.WaveformBitsStored = 16
    group = Dataset()
    group.MultiplexGroupTimeOffset = f"{offset_ms:g}"
    group.WaveformOriginality = "ORIGINAL"
    group.NumberOfWaveformChannels = 1
    group.NumberOfWaveformSamples = n
    group.SamplingFrequency = f"{SAMPLING_HZ:g}"
    group.MultiplexGroupLabel = "ECG"
    group.ChannelDefinitionSequence = [channel]
    group.WaveformBitsAllocated = 16
    group.WaveformSampleInterpretation = "SS"
    group.WaveformData = microvolts.tobytes()
    return group


def write_ecg_loop(path: Path, r_waves_ms: Sequence[float], *, n_frames: int = 72, frame_time_ms: float = 25.0,
                   vector: bool = True, waveform: bool = True, heart_rate: int | None = None) -> Path:
    """The phantom's commissural loop with an ECG: R Wave Time Vector and/or Waveform Sequence.

    Heart Rate (0018,1088) is removed unless ``heart_rate`` is given, so readers must derive it.
    """
    path = write_cine_loop(Path(path), n_frames=n_frames, frame_time_ms=frame_time_ms)
    ds = dcmread(path)
    del ds.HeartRate
    if heart_rate is not None:
        ds.HeartRate = heart_rate
    if vector:
        ds.RWaveTimeVector = [float(t) for t in r_waves_ms]
    if waveform:
        ds.WaveformSequence = [waveform_item(r_waves_ms, n_frames * frame_time_ms)]
    ds.SeriesDescription = "Loop with ECG"
    ds.save_as(path, enforce_file_format=True)
    return path


GENERAL_ECG_WAVEFORM = UID("1.2.840.10008.5.1.4.1.1.9.1.2")


def write_ecg_waveform(path: Path, image: Path, r_waves_ms: Sequence[float], duration_ms: float,
                       acquisition_datetime: str) -> Path:
    """A General ECG Waveform object in ``image``'s series: the ECG recorded beside a loop (PS3.3 A.34.3).

    It imitates the separate waveform instance some scanners and archives keep with a series, tied to
    the loop by the series and by Acquisition DateTime; ``r_waves_ms`` are on the waveform's own clock.
    """
    source = dcmread(image, stop_before_pixels=True)
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = GENERAL_ECG_WAVEFORM
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    wave = FileDataset("", {}, file_meta=meta, preamble=b"\0" * 128)
    wave.SOPClassUID, wave.SOPInstanceUID = GENERAL_ECG_WAVEFORM, meta.MediaStorageSOPInstanceUID
    for keyword in ("PatientName", "PatientID", "StudyInstanceUID", "SeriesInstanceUID"):
        setattr(wave, keyword, getattr(source, keyword))
    wave.Modality, wave.AcquisitionDateTime = "ECG", acquisition_datetime
    wave.WaveformSequence = [waveform_item(r_waves_ms, duration_ms)]
    wave.save_as(path, enforce_file_format=True)
    return Path(path)
