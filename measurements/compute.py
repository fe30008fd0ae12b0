"""Marks + calibration -> graded results (the one place the GUI, the CLI and the report ask).

``measure_mark`` turns one mark into numbers on its region; ``measure_all`` does every mark and
every calculation of a case, collecting errors per mark/calculation so one bad mark never stops
the others, and attaches the post-TEER caveats of docs/clinical-criteria.md §1.11 as warnings. An unlabelled mark (blank
label) is measured with its purpose ignored, never graded, and no calculation uses it
(docs/clinical-criteria.md §1.0).

Result ids are ``<mark id>.<quantity>``, ``<calculation id>.<quantity>``, ``avg.<purpose>[.<first mark id>].<quantity>``
(beat averages) and ``header.<sop uid>.heart_rate``. What a mark gives:

- distance on a 2D region: ``distance`` (``vena_contracta`` when purpose is "vena_contracta";
  graded for redo-TEER when purpose is "posterior_leaflet_length"); on a spectral region:
  ``time_interval`` (+ ``heart_rate`` when purpose is "rr_interval").
- area: ``area`` (``vca`` when purpose is "vca"); areas with purpose "orifice" are summed into
  ``mva_planimetry`` unless the case has its own "planimetry" calculation.
- doppler_trace: vmax, peak/mean gradient, VTI, duration, mean velocity; stenosis grades (MVARC,
  EAE/ASE 2009) and PHT, deceleration time and MVA by PHT only with purpose "mv_inflow"; an
  "mr_jet" trace gives vmax, peak gradient, VTI, duration; an "lvot" trace vmax, VTI, duration,
  mean velocity. point on a spectral region: vmax, peak gradient.

Calculations (case-file objects with "id" and "type"):
``pisa`` (radius_mark, aliasing_velocity_m_s, mr_trace_mark [, angle_deg, baseline_shift_m_s, lvot_diameter_mark,
lvot_trace_mark]); ``continuity`` (lvot_diameter_mark, lvot_trace_mark, mv_trace_mark);
``planimetry`` (area_marks); ``vena_contracta_biplane`` (marks: two); ``pisa_mva`` (radius_mark,
aliasing_velocity_m_s, inflow_trace_mark, angle_deg); ``pht`` (trace_mark [, fit_span_s: [t0, t1]]),
which replaces the automatic PHT of that trace; ``volumetric`` (lvedv_ml, lvesv_ml, lvot_diameter_mark,
lvot_trace_mark [, mr_trace_mark]), the preferred quantitative MR method after TEER; ``vca_total``
(vca_marks); ``pasp`` (tr_mark: a TR point or trace, rap_mmhg).

3D marks (``points3d`` in mm of a volume, placed on an MPR plane) need no region: a distance gives
``distance``, an area (planar within 0.5 mm, measured in its own plane) ``area`` / ``vca``, a point
no number. Their orifice areas sum to ``mva_planimetry`` by "3D MPR planimetry"; a sum mixing 2D
and 3D orifices is refused (the two come from different planes and frames).
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from imaging.errors import CalibrationError, InputError
from imaging.regions import SpatialFormat, UltrasoundRegion, region_for_points
from measurements import (
    beats,
    calibration,
    concepts,
    continuity,
    doppler,
    geometry,
    geometry3d,
    pisa,
    plausibility,
    thresholds,
)
from measurements.concepts import MG_VALID_HR_BPM, QUANTITIES, mr_quantities
from measurements.marks import PURPOSES, Mark, MarkType
from measurements.results import Result

#: Human names of quantities, used in result labels (from the registry, measurements.concepts).
QUANTITY_LABELS: dict[str, str] = {q.name: q.label for q in QUANTITIES.values()}

PHT_POST_TEER_WARNING = ("PHT not validated after TEER (double orifice, altered LA/LV compliance);"
                         " do not use alone for stenosis decisions")
#: Above this heart rate (/min) gradients overestimate the resting stenosis (tachycardia).
TACHYCARDIA_BPM = 100.0
#: Atrial fibrillation: average at least this many consecutive beats (S3; defined in measurements.beats).
AF_MIN_BEATS = beats.AF_MIN_BEATS
_HR_LO, _HR_HI = (f"{v:g}" for v in MG_VALID_HR_BPM)
HIGH_HR_WARNING = "heart rate {hr:.0f} bpm > " + f"{TACHYCARDIA_BPM:g}: gradients overestimate the resting stenosis"
HR_RANGE_WARNING = ("heart rate {hr:.0f} bpm outside " + f"{_HR_LO}-{_HR_HI}: EAE/ASE 2009 MG grading presumes"
                    f" {_HR_LO}-{_HR_HI} /min")
#: Opens the AF warning (``af_caveat`` finds it among a result's warnings).
AF_WARNING_PREFIX = "atrial fibrillation: "
AF_SINGLE_BEAT_WARNING = (AF_WARNING_PREFIX + "mean gradient from {n} beat(s); average"
                          f" ≥{AF_MIN_BEATS} consecutive beats")
SHORTCUT_NOTE = "EROA shortcut r²/2 = {v:.2f} cm² (estimate only, not graded)"

#: Quantities whose validity depends on heart rate (docs/clinical-criteria.md M5, M7, M8, M16).
_HR_DEPENDENT = {"peak_gradient", "mean_gradient", "pht", "mva_pht"}
_TRACE_QUANTITIES = ("vmax", "peak_gradient", "mean_gradient", "vti", "duration", "mean_velocity")
#: A regurgitant or LVOT trace has no transmitral gradient: it never yields a (stenosis-graded) MG.
_TRACE_QUANTITIES_BY_PURPOSE = {
    "mr_jet": ("vmax", "peak_gradient", "vti", "duration"),
    "lvot": ("vmax", "vti", "duration", "mean_velocity"),
}
#: Purposes whose distance result is graded with a dedicated table.
_DISTANCE_PURPOSE_QUANTITY = {"vena_contracta": "vena_contracta"}
_DISTANCE_PURPOSE_GRADING = {"posterior_leaflet_length": "posterior_leaflet_length"}
_AREA_PURPOSE_QUANTITY = {"vca": "vca"}
#: The method of one jet's 3D VCA: the VCA bands (S2 [REC]) grade the VCA summed over all jets (§2.2, §2.3, §8.2),
#: so one jet's area is shown ungraded; the total (``vca_total``, also of a single jet's one mark) is graded.
VCA_PER_JET_NOTE = "one jet: not graded (the VCA bands grade the total over all jets)"


def make_result(rid: str, label: str, quantity: str, value: float, source: Sequence[str], *,
                grading: str | None = None, warnings: Sequence[str] = (), method: str = "") -> Result:
    """A result graded by every scheme that covers ``grading`` (default: the quantity)."""
    return Result(id=rid, label=label, quantity=quantity, value=float(value), unit=concepts.quantity(quantity).unit,
                  source=tuple(source), grades=thresholds.grade(grading or quantity, value),
                  warnings=tuple(warnings), method=method)


#: Carried by every result of an unlabelled mark (docs/clinical-criteria.md, "Meaning of a mark").
UNLABELLED_WARNING = ("unlabelled mark: measured only, not graded and not used by calculations, the summary"
                      " or decision support; give it a label")


def is_unlabelled(mark: Mark) -> bool:
    """A mark without a label (or with a blank one) has no clinical meaning yet."""
    return not mark.label.strip()


def measured_only(results: Sequence[Result]) -> list[Result]:
    """The results of an unlabelled mark: values kept, grades dropped, labelled and warned as unlabelled."""
    return [replace(r, label=f"Unlabelled {r.label}", grades=(), warnings=(*r.warnings, UNLABELLED_WARNING))
            for r in results]


def _label(mark: Mark, quantity: str, single: bool) -> str:
    base = mark.label or mark.id
    return base if single else f"{base}: {QUANTITY_LABELS.get(quantity, quantity)}"


def _check_inside(mark: Mark, region: UltrasoundRegion) -> None:
    for i, (x, y) in enumerate(mark.points):
        if not region.contains(x, y):
            raise CalibrationError(
                f"mark {mark.id!r}: point {i + 1} ({x:.1f}, {y:.1f}) lies outside region {region.index}"
                f" ({region.description})")


def measure_mark(mark: Mark, region: UltrasoundRegion, r_waves_s: Sequence[float] = ()) -> list[Result]:
    """Every number of one mark on its region; raises CalibrationError naming the mark.

    ``r_waves_s``: the image's R-wave times (s), used to split a Doppler trace into beats.
    """
    what = f"mark {mark.id!r}"
    _check_inside(mark, region)
    if mark.type is MarkType.DISTANCE:
        return _measure_distance(mark, region, what)
    if mark.type is MarkType.AREA:
        return _measure_area(mark, region, what)
    if mark.type is MarkType.DOPPLER_TRACE:
        doppler.require_spectral(region, what)
        return _angle_note(trace_results(mark, doppler.velocity_trace(mark.points, region), r_waves_s), region)
    return _angle_note(_measure_point(mark, region, what), region)


def _angle_note(results: list[Result], region: UltrasoundRegion) -> list[Result]:
    """Say so when the scanner already angle-corrected the velocity axis (never corrected twice)."""
    angle = region.doppler_correction_angle_deg
    if not angle:
        return results
    note = f"velocity axis angle-corrected by the scanner ({angle:g}°); not corrected again"
    return [replace(r, warnings=(*r.warnings, note)) for r in results]


def _measure_distance(mark: Mark, region: UltrasoundRegion, what: str) -> list[Result]:
    if region.is_spectral and not region.is_frequency_scale:
        (t0, _), (t1, _) = (region.to_physical(*p) for p in mark.points)
        interval_ms = abs(t1 - t0) * 1000.0
        out = [make_result(f"{mark.id}.time_interval", _label(mark, "time_interval", False), "time_interval",
                           interval_ms, (mark.id,), method="spectral time axis")]
        if mark.purpose == "rr_interval":
            hr = doppler.heart_rate_from_rr(interval_ms / 1000.0)
            out.append(make_result(f"{mark.id}.heart_rate", _label(mark, "heart_rate", False), "heart_rate", hr,
                                   (mark.id,), method="60 / R-R"))
        return out
    geometry.require_spatial(region, what)
    d = geometry.distance_cm(mark.points[0], mark.points[1], region)
    quantity = _DISTANCE_PURPOSE_QUANTITY.get(mark.purpose or "", "distance")
    grading = _DISTANCE_PURPOSE_GRADING.get(mark.purpose or "")
    return [make_result(f"{mark.id}.{quantity}", _label(mark, quantity, True), quantity, d, (mark.id,),
                        grading=grading, method="calibrated caliper")]


def _area_method(method: str, quantity: str) -> str:
    """An area mark's method; one jet's VCA says why it carries no grade."""
    return f"{method}; {VCA_PER_JET_NOTE}" if quantity == "vca" else method


def _measure_area(mark: Mark, region: UltrasoundRegion, what: str) -> list[Result]:
    geometry.require_spatial(region, what)
    warnings = []
    if geometry.is_self_intersecting(mark.points):
        warnings.append("polygon crosses itself: its area is not the enclosed area; redraw it")
    quantity = _AREA_PURPOSE_QUANTITY.get(mark.purpose or "", "area")
    return [make_result(f"{mark.id}.{quantity}", _label(mark, quantity, True), quantity,
                        geometry.area_cm2(mark.points, region), (mark.id,), warnings=warnings,
                        method=_area_method("planimetry (shoelace)", quantity))]


def _measure_point(mark: Mark, region: UltrasoundRegion, what: str) -> list[Result]:
    if region.spatial_format != SpatialFormat.SPECTRAL:
        return []  # a landmark (clip tip, jet origin): a position, no number
    doppler.require_spectral(region, what)
    v = abs(region.to_physical(*mark.points[0])[1]) / 100.0
    return [make_result(f"{mark.id}.vmax", _label(mark, "vmax", False), "vmax", v, (mark.id,), method="point"),
            make_result(f"{mark.id}.peak_gradient", _label(mark, "peak_gradient", False), "peak_gradient",
                        doppler.peak_gradient(v), (mark.id,), method="simplified Bernoulli 4v²")]


def trace_results(mark: Mark, trace: Sequence[doppler.TracePoint],
                  r_waves_s: Sequence[float] = ()) -> list[Result]:
    """Trace metrics (and PHT/MVA for a mitral inflow trace) of one velocity trace.

    A trace spanning several beats (``beats.complete_beats``: baseline returns, R waves when known;
    partial beats at the trace's ends left out with a warning) gives per-beat results
    ``<mark>.beat<k>.<quantity>`` (``beat`` = k), then their averages ``<mark>.<quantity>`` with
    ``beats`` = n and the SD; each beat also gets a heart rate from the beat spacing (or its R-R
    interval). The average mean gradient is the mean of the beats' mean
    gradients, never the gradient of a mean velocity.
    """
    r_waves_s = [r for r in r_waves_s if trace and trace[0][0] <= r <= trace[-1][0]]  # on this trace's time axis
    pieces, partial = beats.complete_beats(trace, r_waves_s)
    base = mark.label or mark.id
    note = (f"{partial} partial beat(s) at the trace's ends left out",) if partial else ()
    if len(pieces) == 1:  # one beat: measured over its flow period (baseline before and after left out)
        return [replace(r, warnings=(*r.warnings, *note)) for r in _one_beat_results(mark, pieces[0], mark.id, base)]
    per_beat: list[Result] = []
    rates = beats.beat_heart_rates([p[0][0] for p in pieces], r_waves_s)
    for k, (piece, hr) in enumerate(zip(pieces, rates, strict=True), start=1):
        rid, label = f"{mark.id}.beat{k}", f"{base}, beat {k}"
        one = _one_beat_results(mark, piece, rid, label)
        if hr is not None:
            start = piece[0][0]
            by_ecg = any(r <= start for r in r_waves_s) and any(r > start for r in r_waves_s)
            one.append(make_result(f"{rid}.heart_rate", f"{label}: heart rate", "heart_rate", hr, (mark.id,),
                                   method="60 / R-R interval" if by_ecg else "60 / time to the next beat"))
        per_beat.extend(replace(r, beat=k) for r in one)
    averages = _trace_averages(mark, per_beat, len(pieces))
    return per_beat + [replace(r, warnings=(*r.warnings, *note)) for r in averages]


def _trace_averages(mark: Mark, per_beat: Sequence[Result], n_beats: int) -> list[Result]:
    """Mean and SD of each quantity over the beats of one trace, graded as the beats are."""
    by_quantity: dict[str, list[Result]] = {}
    for r in per_beat:
        by_quantity.setdefault(r.quantity, []).append(r)
    base = mark.label or mark.id
    grading = _trace_grading(mark.purpose)
    out = []
    for q, rs in by_quantity.items():
        stats = beats.beat_stats([r.value for r in rs])
        warnings = tuple(dict.fromkeys(w for r in rs for w in r.warnings))
        if len(rs) < n_beats and q != "heart_rate":
            warnings += (f"{QUANTITY_LABELS.get(q, q)} from {len(rs)} of {n_beats} beats",)
        sd = "" if stats.sd is None else f" (SD {concepts.value_text(q, stats.sd)})"
        mean, method, spread = stats.mean, f"mean of {stats.n} beats{sd}", stats.sd
        if q == "mva_pht" and "pht" in by_quantity:  # 220 / the mean PHT, as across traces (_pht_average)
            pht = beats.beat_stats([r.value for r in by_quantity["pht"]])
            mean, method, spread = doppler.mva_from_pht(pht.mean), f"220 / mean PHT of {pht.n} beats", None
        out.append(replace(
            make_result(f"{mark.id}.{q}", f"{base}: {QUANTITY_LABELS.get(q, q)}, mean of {stats.n} beats", q,
                        mean, (mark.id,), grading=grading if q != "heart_rate" else None,
                        warnings=warnings, method=method),
            beats=stats.n, sd=spread))
    return out


def af_caveat(warnings: Sequence[str]) -> str | None:
    """The AF warning (``AF_SINGLE_BEAT_WARNING``) among a result's warnings, if it carries one: every
    output quoting that mean gradient quotes it too (clinical.md §8.3)."""
    return next((w for w in warnings if w.startswith(AF_WARNING_PREFIX)), None)


def af_beat_caveats(results: Sequence[Result], rhythm: str | None) -> list[Result]:
    """In atrial fibrillation, the inflow mean gradient of fewer than 5 beats carries the AF warning.

    For one trace on its own (``trace`` command); ``measure_all`` applies the same rule to a case.
    """
    if not beats.is_af(rhythm):
        return list(results)
    return [replace(r, warnings=(*r.warnings, AF_SINGLE_BEAT_WARNING.format(n=r.beats or 1)))
            if r.quantity == "mean_gradient" and r.beat is None and beats.af_needs_more_beats(rhythm, r.beats or 1)
            else r for r in results]


def _one_beat_results(mark: Mark, trace: Sequence[doppler.TracePoint], rid: str, base: str) -> list[Result]:
    """Trace metrics (and PHT/MVA for a mitral inflow trace) of one beat, ids ``<rid>.<quantity>``."""
    m = doppler.trace_metrics(trace)
    values = {"vmax": m.vmax_m_s, "peak_gradient": m.peak_gradient_mmhg, "mean_gradient": m.mean_gradient_mmhg,
              "vti": m.vti_cm, "duration": m.duration_s * 1000.0, "mean_velocity": m.mean_velocity_m_s}
    methods = {"peak_gradient": "simplified Bernoulli 4v²",
               "mean_gradient": "mean of 4v², exact per-segment integral (docs/clinical-criteria.md M7)",
               "vti": "trapezoid of |v|"}
    src = (mark.id,)
    inflow = mark.purpose == "mv_inflow"
    out = [make_result(f"{rid}.{q}", f"{base}: {QUANTITY_LABELS.get(q, q)}", q, values[q], src,
                       method=methods.get(q, ""), grading=_trace_grading(mark.purpose))
           for q in _TRACE_QUANTITIES_BY_PURPOSE.get(mark.purpose or "", _TRACE_QUANTITIES)]
    if inflow:
        try:
            out.extend(pht_results(rid, src, base, trace))
        except doppler.DopplerError as exc:  # the other numbers of the trace still stand
            out = [replace(r, warnings=(*r.warnings, f"no pressure half-time: {exc}"))
                   if r.quantity == "mean_gradient" else r for r in out]
    return out


def pht_results(rid: str, src: tuple[str, ...], base_label: str, trace: Sequence[doppler.TracePoint],
                fit_span_s: tuple[float, float] | None = None) -> list[Result]:
    """PHT, deceleration time and MVA = 220/PHT (ids ``rid.<quantity>``), each with the post-TEER caveat."""
    fit = doppler.pressure_half_time(trace, fit_span_s)
    method = f"line fitted to the deceleration slope {fit.t_start_s:.3f}-{fit.t_end_s:.3f} s"
    warn = (PHT_POST_TEER_WARNING,)
    return [
        make_result(f"{rid}.pht", f"{base_label}: pressure half-time", "pht", fit.pht_ms, src, warnings=warn,
                    method=method),
        make_result(f"{rid}.deceleration_time", f"{base_label}: deceleration time", "deceleration_time",
                    fit.deceleration_time_ms, src, method=method),
        make_result(f"{rid}.mva_pht", f"{base_label}: MVA by PHT", "mva_pht", doppler.mva_from_pht(fit.pht_ms),
                    src, warnings=warn, method="220 / PHT"),
    ]


# --- the whole case ---------------------------------------------------------------------------

RegionsFor = Callable[[str], Sequence[UltrasoundRegion]]


@dataclass
class _Measured:
    mark: Mark
    region: UltrasoundRegion | None  # None for a 3D mark
    results: list[Result]

    def value(self, *quantities: str) -> float:
        for r in self.results:
            if r.quantity in quantities and r.beat is None:  # a multi-beat trace: its average
                return r.value
        raise InputError(f"mark {self.mark.id!r} gives no {' or '.join(quantities)}")

    def trace(self) -> list[doppler.TracePoint]:
        if self.mark.type is not MarkType.DOPPLER_TRACE:
            raise InputError(f"mark {self.mark.id!r} is a {self.mark.type.value}, not a Doppler trace")
        if self.region is None:
            raise InputError(f"mark {self.mark.id!r} has no ultrasound region")
        return doppler.velocity_trace(self.mark.points, self.region)


def resolve_region(mark: Mark, regions_for: RegionsFor,
                   calibrations: Sequence[calibration.UserCalibration] = ()) -> UltrasoundRegion:
    """The mark's region, checked to hold every point; the message says what is wrong instead.

    A mark with ``calibration`` is measured through that user calibration, refused where the
    scanner calibrated the image (``measurements.calibration.check_may_calibrate``)."""
    what = f"mark {mark.id!r}"
    if mark.region is None:
        raise CalibrationError(f"{what}: a 3D mark has no ultrasound region (it is measured in mm of its volume)")
    regions = list(regions_for(mark.sop_instance_uid))
    if mark.calibration is not None:
        return calibration.resolve_user_region(mark.calibration, mark.sop_instance_uid, mark.points,
                                               calibrations, regions, what)
    if not regions:
        raise CalibrationError(f"{what}: the image has no ultrasound region calibration (uncalibrated); a user"
                               " calibration (Measure → Calibrate…, a line of known length) makes it measurable")
    by_index = {r.index: r for r in regions}
    region = by_index.get(mark.region)
    if region is None:
        raise CalibrationError(f"{what}: region {mark.region} does not exist (the image has {len(regions)})")
    if all(region.contains(x, y) for x, y in mark.points):
        return region
    other = region_for_points(regions, mark.points, what)  # raises "outside"/"different regions" reasons
    raise CalibrationError(f"{what}: its points lie in region {other.index} ({other.description}),"
                           f" not in region {mark.region}")


def measure_all(
    marks: Sequence[Mark],
    calculations: Sequence[Mapping[str, Any]],
    regions_for: RegionsFor,
    *,
    heart_rate_for: Callable[[str], float | None] | None = None,
    rhythm: str | None = None,
    recorded_mr_grades: Sequence[str] = (),
    r_waves_for: Callable[[str], Sequence[float]] | None = None,
    expected_orifices: int | None = None,
    calibrations: Sequence[calibration.UserCalibration] = (),
) -> tuple[list[Result], list[tuple[str, str]]]:
    """Every mark and calculation; returns (results, errors as (mark-or-calc id, message)).

    ``calibrations``: the case's user calibrations, which marks with ``calibration`` are measured
    through; their results, and every calculation using them, carry the user-calibration warning.

    ``r_waves_for(sop)``: that image's R-wave times in s (splits Doppler traces into beats).
    The plausibility gates (``measurements.plausibility``) apply here, once: a held mark is reported
    with its warning, ungraded, and used by no calculation or average. ``expected_orifices`` (what
    the devices imply) is the count a sum of orifice areas is checked against.
    """
    results: list[Result] = []
    errors: list[tuple[str, str]] = []
    measured: dict[str, _Measured] = {}
    cache: dict[str, Sequence[UltrasoundRegion] | InputError] = {}

    def cached_regions(sop: str) -> Sequence[UltrasoundRegion]:
        if sop not in cache:
            try:
                cache[sop] = list(regions_for(sop))
            except InputError as exc:
                cache[sop] = exc
        hit = cache[sop]
        if isinstance(hit, InputError):
            raise hit
        return hit

    for given in marks:
        mark = replace(given, purpose=None) if is_unlabelled(given) else given  # no label: no meaning
        try:
            if mark.is_3d:
                region = None
                mark_results, held = plausibility.gate(mark, None, measure_mark_3d(mark))
            else:
                region = resolve_region(mark, cached_regions, calibrations)
                r_waves = r_waves_for(mark.sop_instance_uid) if r_waves_for and mark.type is MarkType.DOPPLER_TRACE \
                    else ()
                mark_results, held = plausibility.gate(mark, region, measure_mark(mark, region, r_waves))
        except InputError as exc:
            message = str(exc)
            errors.append((mark.id, message if mark.id in message else f"mark {mark.id!r}: {message}"))
            continue
        mark_results = measured_only(mark_results) if is_unlabelled(mark) else mark_results
        if mark.calibration is not None:
            mark_results = [_user_calibrated(r) for r in mark_results]
        if not held:
            measured[mark.id] = _Measured(mark, region, mark_results)
        results.extend(mark_results)

    calcs = list(calculations)
    if not any(c.get("type") == "planimetry" for c in calcs):
        orifices = [m for m in measured.values() if m.mark.purpose == "orifice"]
        if orifices:
            calcs.append({"id": "mva", "type": "planimetry", "area_marks": [m.mark.id for m in orifices]})
    calcs = [{"expected_orifices": expected_orifices, **c} if c.get("type") == "planimetry" else c for c in calcs]
    for calc in calcs:
        cid = str(calc.get("id") or f"calculation {calcs.index(calc) + 1}")
        try:
            by_user = {m.mark.id for m in measured.values() if m.mark.calibration is not None}
            results.extend(_user_calibrated(r) if by_user & set(r.source) else r
                           for r in _calculate(cid, calc, measured))
        except (InputError, KeyError, TypeError, ValueError) as exc:
            message = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
            errors.append((cid, f"calculation {cid!r}: {message}"))
    overridden = {str(c.get("trace_mark")) for c in calcs if c.get("type") == "pht"}
    results = [r for r in results if not (r.id.split(".")[0] in overridden
                                          and (r.id.count(".") == 1 or r.beat is not None)
                                          and r.quantity in ("pht", "deceleration_time", "mva_pht"))]
    results.extend(_beat_averages(measured, results))
    results.extend(_heart_rates(measured, results, heart_rate_for, errors))
    return _with_caveats(results, measured, rhythm, recorded_mr_grades), errors


def _user_calibrated(result: Result) -> Result:
    """The result with the user-calibration warning (once): it rests on a line the user drew."""
    return replace(result, warnings=tuple(dict.fromkeys((*result.warnings, calibration.USER_CALIBRATION_WARNING))))


#: Per-beat quantities averaged over the traces of one purpose (docs/clinical-criteria.md §1.10 beat averaging).
_AVERAGED = ("vmax", "peak_gradient", "mean_gradient", "vti", "mean_velocity")


def _trace_grading(purpose: str | None) -> str | None:
    """Stenosis schemes grade only a transmitral inflow trace; every other trace is left ungraded."""
    return None if purpose == "mv_inflow" else "ungraded"


def _beat_averages(measured: Mapping[str, _Measured], results: Sequence[Result]) -> list[Result]:
    """Mean (and SD) over the traces of one purpose on one image: ``avg.<purpose>.<quantity>``.

    Each loop is averaged on its own (after TEER each orifice has its own inflow loop); when one
    purpose is traced on several loops the id names the loop's first mark,
    ``avg.<purpose>.<first mark id>.<quantity>``. Averages are graded as their beats are.
    Sinus rhythm: 1-3 beats; atrial fibrillation: >= 5 consecutive beats (S3); the count is in the
    method text and the AF caveat is attached later.
    """
    groups: dict[tuple[str, str], list[str]] = {}
    for m in measured.values():
        if m.mark.type is MarkType.DOPPLER_TRACE and m.mark.purpose:
            groups.setdefault((m.mark.purpose, m.mark.sop_instance_uid), []).append(m.mark.id)
    loops_per_purpose = Counter(purpose for purpose, _ in groups)
    by_id = {r.id: r for r in results}
    per_beat: dict[tuple[str, str], list[float]] = {}  # (mark id, quantity) -> its beats' values
    for r in results:
        if r.beat is not None:
            per_beat.setdefault((r.source[0], r.quantity), []).append(r.value)
    out = []
    for (purpose, _), ids in groups.items():
        if len(ids) < 2:
            continue
        several = loops_per_purpose[purpose] > 1
        prefix = f"avg.{purpose}.{ids[0]}" if several else f"avg.{purpose}"
        suffix = f" ({', '.join(ids)})" if several else ""
        for q in _AVERAGED:
            values = [v for i in ids for v in per_beat.get((i, q), [by_id[f"{i}.{q}"].value]
                                                               if f"{i}.{q}" in by_id else [])]
            if len(values) < 2:
                continue
            label = f"{PURPOSES.get(purpose, purpose)}: {QUANTITY_LABELS[q]}, mean of {len(values)} beats{suffix}"
            sd = statistics.stdev(values)
            out.append(replace(make_result(f"{prefix}.{q}", label, q, statistics.fmean(values), tuple(ids),
                                           grading=_trace_grading(purpose),
                                           method=f"mean of {len(values)} beats (SD {concepts.value_text(q, sd)})"),
                               beats=len(values), sd=sd))
        out.extend(_pht_average(prefix, f"{PURPOSES.get(purpose, purpose)}", suffix, ids, results))
    return out


def _pht_average(prefix: str, base: str, suffix: str, ids: Sequence[str], results: Sequence[Result]) -> list[Result]:
    """Mean PHT and deceleration time over the beats of ``ids``, and MVA = 220 / that mean PHT.

    Each beat's PHT is the user's fit of it (a ``pht`` calculation, which replaced the automatic one)
    or else the automatic fit; averaging them, rather than quoting one beat, is the beat rule of
    docs/clinical-criteria.md §1.10. The MVA comes from the averaged PHT, so the two quoted numbers
    agree (220 / 150 ms = 1.47 cm²), and keeps the post-TEER caveat.
    """
    beat_values: dict[tuple[str, str], list[float]] = {}  # a trace split into beats: its beats' values
    whole: dict[tuple[str, str], list[float]] = {}  # a one-beat trace, or the user's fit of a trace
    for r in results:
        if r.quantity in ("pht", "deceleration_time") and len(r.source) == 1 and r.source[0] in ids:
            (whole if r.beat is None else beat_values).setdefault((r.source[0], r.quantity), []).append(r.value)
    out: list[Result] = []
    for q in ("pht", "deceleration_time"):
        values = [v for i in ids for v in beat_values.get((i, q), whole.get((i, q), []))]
        if len(values) < 2:
            return out
        sd = statistics.stdev(values)
        method = f"mean of {len(values)} beats (SD {concepts.value_text(q, sd)})"
        warn = (PHT_POST_TEER_WARNING,) if q == "pht" else ()
        out.append(replace(make_result(f"{prefix}.{q}", f"{base}: {QUANTITY_LABELS[q]}, mean of {len(values)} beats"
                                       f"{suffix}", q, statistics.fmean(values), tuple(ids), warnings=warn,
                                       method=method), beats=len(values), sd=sd))
    pht = out[0]
    out.append(replace(make_result(f"{prefix}.mva_pht", f"{base}: MVA by PHT, mean PHT of {pht.beats} beats{suffix}",
                                   "mva_pht", doppler.mva_from_pht(pht.value), tuple(ids),
                                   warnings=(PHT_POST_TEER_WARNING,),
                                   method=f"220 / mean PHT of {pht.beats} beats"), beats=pht.beats))
    return out


def _mark_ref(calc: Mapping[str, Any], key: str, measured: Mapping[str, _Measured]) -> _Measured:
    mark_id = calc[key]
    if mark_id not in measured:
        raise InputError(f"{key} {mark_id!r} is missing, could not be measured, or is held by a plausibility"
                         " gate until confirmed")
    if is_unlabelled(measured[mark_id].mark):
        raise InputError(f"{key} {mark_id!r} is unlabelled: give it a label before a calculation uses it")
    return measured[mark_id]


def _finite(value: Any, what: str) -> float:
    """``value`` as a finite float (a NaN or a string from the case file never reaches a formula)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if isinstance(value, bool) or not math.isfinite(number):
        raise InputError(f"{what} must be a finite number (got {value!r})")
    return number


def _number(calc: Mapping[str, Any], key: str) -> float:
    """The calculation's field ``key`` as a finite number (KeyError when it is absent)."""
    return _finite(calc[key], key)


def _optional_number(calc: Mapping[str, Any], key: str) -> float | None:
    """The calculation's optional field ``key`` as a finite number, ``None`` when it is absent."""
    return _number(calc, key) if key in calc else None


def _calculate(cid: str, calc: Mapping[str, Any], measured: Mapping[str, _Measured]) -> list[Result]:
    kind = calc.get("type")
    label = str(calc.get("label") or "")
    if kind == "pisa":
        return _calc_pisa(cid, label or "PISA", calc, measured)
    if kind == "continuity":
        return _calc_continuity(cid, label or "Continuity", calc, measured)
    if kind == "planimetry":
        parts = [_mark_ref({"m": m}, "m", measured) for m in calc["area_marks"]]
        total = geometry.total_area_cm2([p.value("area") for p in parts])
        src = tuple(p.mark.id for p in parts)
        summed = plausibility.gate_orifice_sum(make_result(
            f"{cid}.mva_planimetry", label or "MVA by planimetry (sum of orifices)", "mva_planimetry", total, src), calc)
        return [_planimetry_dimension(summed, [p.mark for p in parts])]
    if kind == "vena_contracta_biplane":
        parts = [_mark_ref({"m": m}, "m", measured) for m in calc["marks"]]
        if len(parts) != 2:
            raise InputError("a biplane vena contracta needs exactly 2 marks")
        mean = (parts[0].value("vena_contracta", "distance") + parts[1].value("vena_contracta", "distance")) / 2
        return [make_result(f"{cid}.vena_contracta_biplane", label or "Biplane vena contracta width",
                            "vena_contracta_biplane", mean, tuple(p.mark.id for p in parts),
                            method="mean of two orthogonal planes")]
    if kind == "pisa_mva":
        r = _mark_ref(calc, "radius_mark", measured).value("distance")
        inflow = _mark_ref(calc, "inflow_trace_mark", measured)
        mva = pisa.pisa_mva(r, _number(calc, "aliasing_velocity_m_s") * 100.0, inflow.value("vmax") * 100.0,
                            _number(calc, "angle_deg"))
        return [make_result(f"{cid}.mva_pisa", label or "MVA by PISA", "mva_pisa", mva,
                            (calc["radius_mark"], calc["inflow_trace_mark"]), warnings=(pisa.PISA_POST_TEER_WARNING,),
                            method="2πr²Va/Vpeak · α/180")]
    if kind == "volumetric":
        return _calc_volumetric(cid, label or "Volumetric MR", calc, measured)
    if kind == "vca_total":
        parts = [_mark_ref({"m": m}, "m", measured) for m in calc["vca_marks"]]
        return [make_result(f"{cid}.vca_total", label or "Total 3D vena contracta area", "vca_total",
                            geometry.total_area_cm2([p.value("vca", "area") for p in parts]),
                            tuple(p.mark.id for p in parts), method=f"sum over {len(parts)} jet(s)")]
    if kind == "pasp":
        tr = _mark_ref(calc, "tr_mark", measured)
        rap = _number(calc, "rap_mmhg")
        return [make_result(f"{cid}.pasp", label or "PASP", "pasp", 4.0 * tr.value("vmax") ** 2 + rap,
                            (tr.mark.id,), method=f"4·V_TR² + RAP ({rap:g} mmHg)")]
    if kind == "pht":
        trace_mark = _mark_ref(calc, "trace_mark", measured)
        span = calc.get("fit_span_s")
        fit_span = (_finite(span[0], "fit_span_s"), _finite(span[1], "fit_span_s")) if span else None
        return pht_results(cid, (trace_mark.mark.id,), label or trace_mark.mark.label or trace_mark.mark.id,
                           trace_mark.trace(), fit_span)
    raise InputError(f"unknown calculation type {kind!r}")


# --- 3D marks (points3d in mm of a volume) ------------------------------------------------------

METHOD_3D_PLANIMETRY = "3D MPR planimetry"


def measure_mark_3d(mark: Mark) -> list[Result]:
    """The numbers of one 3D mark: the volume's spacing is in mm already, so no region is involved."""
    points = mark.points3d
    if points is None:
        raise InputError(f"mark {mark.id!r} is not a 3D mark")
    what = f"mark {mark.id!r}"
    if mark.type is MarkType.DISTANCE:
        quantity = _DISTANCE_PURPOSE_QUANTITY.get(mark.purpose or "", "distance")
        d_cm = geometry3d.distance_mm(points[0], points[1]) / 10.0
        return [make_result(f"{mark.id}.{quantity}", _label(mark, quantity, True), quantity, d_cm, (mark.id,),
                            grading=_DISTANCE_PURPOSE_GRADING.get(mark.purpose or ""), method="3D MPR caliper")]
    if mark.type is MarkType.AREA:
        area_cm2 = geometry3d.polygon_area_mm2(points, what) / 100.0
        warnings = ["polygon crosses itself: its area is not the enclosed area; redraw it"] \
            if geometry3d.polygon_crosses_itself(points, what) else []
        quantity = _AREA_PURPOSE_QUANTITY.get(mark.purpose or "", "area")
        return [make_result(f"{mark.id}.{quantity}", _label(mark, quantity, True), quantity, area_cm2, (mark.id,),
                            warnings=warnings,
                            method=_area_method(f"{METHOD_3D_PLANIMETRY} (shoelace in the mark's plane)", quantity))]
    return []  # a 3D landmark: a position, no number


def _planimetry_dimension(summed: Result, parts: Sequence[Mark]) -> Result:
    """A sum of orifice areas all from 2D frames, or all from 3D MPR planes (method says which); mixed: refused."""
    in_3d = [m.id for m in parts if m.is_3d]
    if not in_3d:
        return summed
    if len(in_3d) < len(parts):
        flat = [m.id for m in parts if not m.is_3d]
        raise InputError(f"the sum mixes 3D MPR orifices ({', '.join(in_3d)}) with 2D orifices ({', '.join(flat)});"
                         " measure every orifice the same way")
    return replace(summed, method=f"{METHOD_3D_PLANIMETRY}, {summed.method}")


def pisa_inputs_text(va_m_s: float, shift_m_s: float | None, angle_deg: float | None) -> str:
    """The colour-flow inputs of a PISA as entered, for its method text: "Va 0.385 m/s, baseline
    shift 0.20 m/s, α 120°"."""
    parts = [f"Va {va_m_s:.3f} m/s"]
    if shift_m_s is not None:
        parts.append(f"baseline shift {shift_m_s:.2f} m/s")
    parts.append(f"α {angle_deg:g}°" if angle_deg is not None else "hemispheric (no α)")
    return ", ".join(parts)


def _calc_pisa(cid: str, label: str, calc: Mapping[str, Any], measured: Mapping[str, _Measured]) -> list[Result]:
    radius = _mark_ref(calc, "radius_mark", measured)
    mr = _mark_ref(calc, "mr_trace_mark", measured)
    r_cm = radius.value("distance")
    if calc.get("aliasing_velocity_m_s") is None:
        raise InputError("the aliasing velocity Va (aliasing_velocity_m_s) is not given: read it off the colour"
                         " bar, after any baseline shift; it is never assumed")
    va_m_s = _number(calc, "aliasing_velocity_m_s")
    shift_m_s = _optional_number(calc, "baseline_shift_m_s")
    angle = _optional_number(calc, "angle_deg")
    vmax_cm_s, vti = mr.value("vmax") * 100.0, mr.value("vti")
    res = pisa.pisa_mr(r_cm, va_m_s * 100.0, vmax_cm_s, vti, angle)
    rvol = float(res.rvol_ml or 0.0)  # always set: the MR trace gives the VTI
    src = (radius.mark.id, mr.mark.id)
    warn = (pisa.PISA_POST_TEER_WARNING,)
    formula, inputs = "PISA 2πr²Va" + ("·α/180" if angle is not None else ""), pisa_inputs_text(va_m_s, shift_m_s, angle)
    method = f"{formula} ({inputs})"
    out = [
        make_result(f"{cid}.pisa_flow", f"{label}: flow rate", "pisa_flow", res.flow_ml_s, src, warnings=warn,
                    method=method),
        make_result(f"{cid}.eroa_pisa", f"{label}: EROA", "eroa_pisa", res.eroa_cm2, src,
                    warnings=(*warn, SHORTCUT_NOTE.format(v=pisa.eroa_shortcut(r_cm))), method=f"{formula} / Vmax ({inputs})"),
        make_result(f"{cid}.rvol_pisa", f"{label}: regurgitant volume", "rvol_pisa", rvol, src,
                    warnings=warn, method="EROA · VTI_MR"),
    ]
    if "lvot_diameter_mark" in calc and "lvot_trace_mark" in calc:
        d = _mark_ref(calc, "lvot_diameter_mark", measured)
        lv = _mark_ref(calc, "lvot_trace_mark", measured)
        sv = continuity.stroke_volume(d.value("distance"), lv.value("vti"))
        rf = pisa.regurgitant_fraction(rvol, sv)
        out.append(make_result(f"{cid}.rf_pisa", f"{label}: regurgitant fraction", "rf_pisa", rf,
                               (*src, d.mark.id, lv.mark.id), warnings=warn, method="RVol / (RVol + SV_LVOT)"))
    return out


def _calc_volumetric(cid: str, label: str, calc: Mapping[str, Any],
                     measured: Mapping[str, _Measured]) -> list[Result]:
    """RVol = (LVEDV - LVESV) - SV_LVOT, RF = RVol / SV_total, EROA = RVol / VTI_MR (M14, W11)."""
    d = _mark_ref(calc, "lvot_diameter_mark", measured)
    lv = _mark_ref(calc, "lvot_trace_mark", measured)
    sv_total = _number(calc, "lvedv_ml") - _number(calc, "lvesv_ml")
    sv_lvot = continuity.stroke_volume(d.value("distance"), lv.value("vti"))
    rvol = sv_total - sv_lvot
    if sv_total <= 0 or rvol < 0:
        raise InputError(f"not computable: LV stroke volume {sv_total:.0f} mL is below the LVOT stroke volume"
                         f" {sv_lvot:.0f} mL (check the volumes, or aortic regurgitation)")
    src = (d.mark.id, lv.mark.id)
    out = [
        make_result(f"{cid}.rvol_volumetric", f"{label}: regurgitant volume", "rvol_volumetric", rvol, src,
                    method="(LVEDV - LVESV) - SV_LVOT"),
        make_result(f"{cid}.rf_volumetric", f"{label}: regurgitant fraction", "rf_volumetric",
                    100.0 * rvol / sv_total, src, method="RVol / (LVEDV - LVESV)"),
    ]
    if "mr_trace_mark" in calc:
        mr = _mark_ref(calc, "mr_trace_mark", measured)
        vti_mr = mr.value("vti")
        if vti_mr <= 0:
            raise InputError(f"MR VTI must be positive for the volumetric EROA (got {vti_mr} cm from {mr.mark.id!r})")
        out.append(make_result(f"{cid}.eroa_volumetric", f"{label}: EROA", "eroa_volumetric",
                               rvol / vti_mr, (*src, mr.mark.id), method="RVol / VTI_MR"))
    return out


def _calc_continuity(cid: str, label: str, calc: Mapping[str, Any],
                     measured: Mapping[str, _Measured]) -> list[Result]:
    d = _mark_ref(calc, "lvot_diameter_mark", measured)
    lv = _mark_ref(calc, "lvot_trace_mark", measured)
    mv = _mark_ref(calc, "mv_trace_mark", measured)
    src = (d.mark.id, lv.mark.id, mv.mark.id)
    d_cm, vti_lvot, vti_mv = d.value("distance"), lv.value("vti"), mv.value("vti")
    return [
        make_result(f"{cid}.sv_lvot", f"{label}: LVOT stroke volume", "sv_lvot",
                    continuity.stroke_volume(d_cm, vti_lvot), src[:2], method="π(D/2)² · VTI_LVOT"),
        make_result(f"{cid}.mva_continuity", f"{label}: MVA", "mva_continuity",
                    continuity.continuity_mva(d_cm, vti_lvot, vti_mv), src, method="SV_LVOT / VTI_MV"),
    ]


def _heart_rates(measured: Mapping[str, _Measured], results: Sequence[Result],
                 heart_rate_for: Callable[[str], float | None] | None,
                 errors: list[tuple[str, str]]) -> list[Result]:
    """HR from consecutive inflow traces on one frame, else from the header, unless a R-R mark gave it.

    Traces that cannot give a rate (they start together) add an error naming them to ``errors``.
    """
    if any(r.quantity == "heart_rate" for r in plausibility.usable(results)):
        return []
    groups: dict[tuple[str, int, int | None], list[_Measured]] = {}
    for m in measured.values():
        if m.mark.type is MarkType.DOPPLER_TRACE and m.mark.purpose == "mv_inflow":
            groups.setdefault((m.mark.sop_instance_uid, m.mark.frame_number, m.mark.region), []).append(m)
    out = []
    for traces in groups.values():
        if len(traces) >= 2:
            start_of = {m.mark.id: m.trace()[0][0] for m in traces}
            ids = tuple(sorted(start_of, key=start_of.__getitem__))
            try:
                hr = doppler.heart_rate_from_starts(list(start_of.values()))
            except doppler.DopplerError as exc:
                errors.append((ids[0], f"heart rate from traces {', '.join(ids)}: {exc}"))
                continue
            out.append(make_result(f"{ids[0]}.heart_rate", "Heart rate (consecutive inflow traces)", "heart_rate",
                                   hr, ids, method=f"60 / mean start-to-start interval of {len(ids)} beats"))
    if out or heart_rate_for is None:
        return out
    for sop in dict.fromkeys(m.mark.sop_instance_uid for m in measured.values()
                             if m.mark.type is MarkType.DOPPLER_TRACE):
        header_hr = heart_rate_for(sop)
        if header_hr:
            out.append(make_result(f"header.{sop}.heart_rate", "Heart rate (DICOM header)", "heart_rate", header_hr, (),
                                   method="Heart Rate (0018,1088), informational"))
            break
    return out


#: MVARC ordinal 0..4+ of the recorded MR grades, by their exact case-file text (``planning.vocab.MRGrade`` and
#: its ``rank``; measurements may not import planning, and tests/measurements check that the two agree).
MR_GRADE_RANK: dict[str, int] = {"none/trace": 0, "mild": 1, "moderate": 2, "moderate-to-severe": 3, "severe": 4}
_MODERATE_RANK = MR_GRADE_RANK["moderate"]
#: The 5-class labels (``thresholds``) of a computed MR class of 2+ or worse.
_MR5_MODERATE_OR_WORSE = ("2+", "3+", "4+")


def _mr_at_least_moderate(results: Sequence[Result], recorded: Sequence[str]) -> bool:
    """True when a recorded grade (total or jet) ranks moderate (2+) or worse on the MVARC ordinal, a
    computed 5-class MR class is 2+ or worse, or one jet's 3D VCA reaches the moderate VCA cut-off. A text
    that is not one of the grades ranks nothing (no substring test: "mild-to-moderate" is not "moderate")."""
    if any(MR_GRADE_RANK.get(g, -1) >= _MODERATE_RANK for g in recorded):
        return True
    graded_mr = mr_quantities()
    if any(g.scheme == thresholds.MR5 and g.label.startswith(_MR5_MODERATE_OR_WORSE)
           for r in results if r.quantity in graded_mr for g in r.grades):
        return True
    # one jet's VCA is ungraded, but areas add: a jet at or above the moderate cut-off puts the total there too
    return any(r.quantity == "vca" and thresholds.shown("vca", r.value) >= thresholds.VCA_CM2[0]
               for r in plausibility.usable(results))


def _with_caveats(results: list[Result], measured: Mapping[str, _Measured], rhythm: str | None,
                  recorded_mr_grades: Sequence[str]) -> list[Result]:
    """Attach the context warnings: heart rate, AF with < 5 beats averaged (on the average, not on the
    beats it covers: docs/clinical-criteria.md §1.10), continuity with MR."""
    hrs = [r.value for r in plausibility.usable(results) if r.quantity == "heart_rate"]
    hr = statistics.fmean(hrs) if hrs else None
    purpose_of = {mid: m.mark.purpose for mid, m in measured.items()}
    mr_significant = _mr_at_least_moderate(results, recorded_mr_grades)
    af = beats.is_af(rhythm)
    averages = [set(a.source) for a in results if a.quantity == "mean_gradient" and a.beats is not None]
    out = []
    for r in results:
        extra: list[str] = []
        if r.quantity in _HR_DEPENDENT and hr is not None:
            if thresholds.shown("heart_rate", hr) > TACHYCARDIA_BPM:
                extra.append(HIGH_HR_WARNING.format(hr=hr))
            elif r.quantity == "mean_gradient" and not (
                    MG_VALID_HR_BPM[0] <= thresholds.shown("heart_rate", hr) <= MG_VALID_HR_BPM[1]):
                extra.append(HR_RANGE_WARNING.format(hr=hr))
        n_beats = r.beats if r.beats is not None else len(r.source)
        if (af and r.quantity == "mean_gradient" and r.beat is None and n_beats < AF_MIN_BEATS
                and all(purpose_of.get(i) == "mv_inflow" for i in r.source)
                and not any(set(r.source) < a for a in averages)):  # an average's beats: it carries the caveat
            extra.append(AF_SINGLE_BEAT_WARNING.format(n=n_beats))
        if r.quantity == "mva_continuity" and mr_significant:
            extra.append(continuity.CONTINUITY_MR_WARNING)
        out.append(replace(r, warnings=(*r.warnings, *extra)) if extra else r)
    return out
