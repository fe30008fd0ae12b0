"""The local store: one folder per study, one ``<SOP Instance UID>.dcm`` per instance.

Files land atomically: bytes go to a hidden ``.<name>.dcm.part`` (which the folder indexer skips),
are flushed to disk, then renamed over the final name. A transfer cut halfway therefore leaves only
``*.part`` files, never a ``.dcm`` that looks complete; the next retrieve of the study removes them
and fetches only what is missing.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from pydicom.dataset import Dataset

from pacs.nodes import user_data_dir
from private_files import open_private, private_folder

PART_SUFFIX = ".part"
_UID = re.compile(r"^[0-9]+(\.[0-9]+)*$")


def default_store_root() -> Path:
    """``<user data dir>/studies``: where the dialog puts retrieved studies."""
    return user_data_dir() / "studies"


def safe_name(uid: str) -> str:
    """A file or folder name for a UID; anything that is not a plain UID (a hostile peer) is hashed."""
    if _UID.match(uid) and len(uid) <= 64:
        return uid
    return "x" + hashlib.sha256(uid.encode("utf-8", "replace")).hexdigest()[:32]


class StudyFolder:
    """The folder of one study in the store, with atomic landing of its instances."""

    def __init__(self, root: Path, study_instance_uid: str) -> None:
        self.study_instance_uid = study_instance_uid
        self.path = Path(root) / safe_name(study_instance_uid)

    def instance_path(self, sop_instance_uid: str) -> Path:
        return self.path / f"{safe_name(sop_instance_uid)}.dcm"

    def present(self) -> set[str]:
        """File stems of the complete instances already here (UIDs, or hashes for odd UIDs)."""
        return {p.stem for p in self.path.glob("*.dcm")} if self.path.is_dir() else set()

    def remove_partials(self) -> int:
        """Delete what an interrupted transfer left behind; returns how many files went."""
        if not self.path.is_dir():
            return 0
        partials = list(self.path.glob(f"*{PART_SUFFIX}"))
        for part in partials:
            part.unlink(missing_ok=True)
        return len(partials)

    def land(self, sop_instance_uid: str, write: Callable[[BinaryIO], object]) -> Path:
        """Write one instance through ``write(file)`` into ``.part``, fsync, then rename to its final name.

        If ``write`` raises (or the process dies), the final name never appears.
        """
        self._make_folder()
        final = self.instance_path(sop_instance_uid)
        part = final.with_name(f".{final.name}{PART_SUFFIX}")
        try:
            with os.fdopen(open_private(part, os.O_WRONLY | os.O_TRUNC), "wb") as out:
                write(out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(part, final)
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        return final

    def _make_folder(self) -> None:
        """The study folder (and a new store root) created user-only: retrieved studies are patient data,
        as the case file and every export; an existing folder is left as it is."""
        for folder in (self.path.parent, self.path):
            private_folder(folder)

    def land_bytes(self, sop_instance_uid: str, data: bytes) -> Path:
        return self.land(sop_instance_uid, lambda out: out.write(data))


class StudyGuard:
    """Admits only instances of the requested study, of one patient, into its folder.

    A PACS (misconfigured, or hostile) may answer a retrieve with instances of another study; stored
    in this study's folder they would open as part of it, next to the wrong patient's name. The
    patient is the one the first admitted instance names, unless the caller knows it already.
    """

    def __init__(self, study_instance_uid: str, patient_id: str | None = None) -> None:
        self.study_instance_uid = study_instance_uid
        self.patient_id = patient_id
        self.refused: list[str] = []
        self._lock = threading.Lock()

    def refusal(self, ds: Dataset, source: str) -> str | None:
        """Why ``ds`` (from ``source``, e.g. the PACS address) is not stored, or None to store it;
        every refusal is also kept in ``refused``."""
        sop = str(ds.get("SOPInstanceUID", "")) or "(no SOP Instance UID)"
        study = str(ds.get("StudyInstanceUID", ""))
        patient = str(ds.get("PatientID", ""))
        with self._lock:
            if study != self.study_instance_uid:
                reason = (f"{source} sent instance {sop} of study {study or '(none)'}, not of the requested study"
                          f" {self.study_instance_uid}: refused, not stored")
            elif self.patient_id is not None and patient != self.patient_id:
                reason = (f"{source} sent instance {sop} of study {study} for patient ID {patient!r}, but the study's"
                          f" other instances are of patient ID {self.patient_id!r}: refused, not stored")
            else:
                if self.patient_id is None:
                    self.patient_id = patient
                return None
            self.refused.append(reason)
            return reason
