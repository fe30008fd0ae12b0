"""How many mitral orifices the implanted devices imply (docs/clinical-criteria.md §8.1, [INF] app rule).

k devices side by side in one line of coaptation divide the valve into up to k + 1 orifices; a sum
of orifice areas with fewer orifices measured is incomplete.
"""

from __future__ import annotations


def expected_orifices(n_devices: int) -> int:
    """``n_devices + 1``: the orifices that ``n_devices`` devices side by side leave (one with none)."""
    if isinstance(n_devices, bool) or not isinstance(n_devices, int) or n_devices < 0:
        raise ValueError(f"the number of devices must be a whole number ≥ 0 (got {n_devices!r})")
    return n_devices + 1
