"""The built-in demo: a synthetic post-TEER TEE study with known truth and its demo case.

It writes DICOM, so it lives outside the read-only ``imaging`` layer; only ``gui`` (and the tests)
use it.
"""
