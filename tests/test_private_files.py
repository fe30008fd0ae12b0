"""Files holding patient data are readable by the user only: 0600 files and 0700 folders on POSIX, a
protected user-and-SYSTEM DACL on Windows (``private_files``).

The real Windows ACLs cannot be exercised on this Linux CI. The Windows tests fake the platform
(``private_files.on_windows``) and the ctypes layer (``private_files.windows._api``): ``FakeWin32``
imitates the Win32 signatures the code calls (OpenProcessToken writing a token handle through its
out-pointer; GetTokenInformation(TokenUser) answering ERROR_INSUFFICIENT_BUFFER with the size, then
writing an x64 TOKEN_USER whose Sid points at the SID bytes behind it; InitializeAcl and
AddAccessAllowedAceEx filling a caller-allocated ACL, refusing an ACE that does not fit;
SetNamedSecurityInfoW returning a Win32 error code) and records what was asked, so the tests assert the
exact ACL request: which file, protected DACL, one ACE for the user's SID and one for SYSTEM, each
FILE_ALL_ACCESS, inherited by files and subfolders only on a folder; and that the DACL is set while the
file is still empty. What Windows then does with that request (NTFS applying it, os.replace keeping it)
is documented in private_files, not tested here.
"""

from __future__ import annotations

import ctypes
import os
import stat
import struct
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import private_files
from gui import logs
from gui.settings import UserSettings, save_settings
from pacs.store import StudyFolder
from planning.case import load_case, save_case
from private_files import make_private, open_private, private_file, private_folder, windows

USER_SID = "S-1-5-21-1004336348-1177238915-682003330-1001"
FILE_ALL_ACCESS = 0x001F01FF  # winnt.h: STANDARD_RIGHTS_REQUIRED (0xF0000) | SYNCHRONIZE (0x100000) | 0x1FF
INHERIT_TO_FILES_AND_FOLDERS = 0x1 | 0x2  # OBJECT_INHERIT_ACE | CONTAINER_INHERIT_ACE
PROTECTED_DACL = 0x80000000 | 0x4  # PROTECTED_DACL_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def sid_bytes(text: str) -> bytes:
    """The binary SID of ``S-1-<authority>-<sub>...`` (MS-DTYP 2.4.2.2): revision, count, big-endian
    48-bit authority, little-endian 32-bit sub-authorities."""
    _, revision, authority, *subs = text.split("-")
    return bytes([int(revision), len(subs)]) + int(authority).to_bytes(6, "big") + \
        b"".join(int(s).to_bytes(4, "little") for s in subs)


# --- POSIX --------------------------------------------------------------------------------------------

@pytest.fixture
def open_umask():
    """A umask of 0: what the code does not set explicitly would come out world-readable."""
    old = os.umask(0)
    yield
    os.umask(old)


def test_a_new_file_is_0600_and_an_older_wider_one_is_tightened_and_truncated(tmp_path: Path, open_umask) -> None:
    new = private_file(tmp_path / "report.pdf")
    assert _mode(new) == 0o600 and new.read_bytes() == b""
    old = tmp_path / "key-1.png"
    old.write_bytes(b"an older export")
    old.chmod(0o644)
    assert _mode(private_file(old)) == 0o600 and old.read_bytes() == b""


def test_open_private_appends_to_an_existing_file_and_tightens_it(tmp_path: Path, open_umask) -> None:
    log = tmp_path / "mitraplan.log"
    log.write_text("kept\n")
    log.chmod(0o666)
    with open(open_private(log, os.O_WRONLY | os.O_APPEND), "a", encoding="utf-8") as out:
        out.write("added\n")
    assert _mode(log) == 0o600 and log.read_text() == "kept\nadded\n"


def test_make_private_tightens_a_file_a_writer_replaced(tmp_path: Path, open_umask) -> None:
    out = private_file(tmp_path / "report-sr.dcm")
    replacement = tmp_path / "tmp.dcm"
    replacement.write_bytes(b"DICM")
    replacement.chmod(0o644)
    os.replace(replacement, out)  # what a writer saving through its own temp file does
    assert _mode(out) == 0o644
    make_private(out)
    assert _mode(out) == 0o600 and out.read_bytes() == b"DICM"


def test_a_new_folder_is_0700_its_parents_are_made_and_an_existing_folder_is_left_alone(tmp_path: Path,
                                                                                        open_umask) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    assert private_folder(shared) == shared and _mode(shared) == 0o755  # the user's own choice of folder
    made = private_folder(shared / "exports" / "case 1")
    assert made.is_dir() and _mode(made) == 0o700


def test_a_file_where_the_folder_should_be_is_refused_naming_it(tmp_path: Path) -> None:
    blocker = tmp_path / "report"
    blocker.write_text("")
    with pytest.raises(OSError, match="report"):
        private_folder(blocker)


def test_the_case_saved_over_a_world_readable_file_is_0600(tmp_path: Path, open_umask) -> None:
    """The atomic save writes a 0600 temp file and renames it over: the old file's mode does not survive."""
    path = tmp_path / "case.mitraplan.json"
    path.write_text('{"format": "mitraplan-case", "version": 1, "study": {}, "images": [], "marks": []}',
                    encoding="utf-8")
    path.chmod(0o644)
    save_case(load_case(path))
    assert _mode(path) == 0o600 and load_case(path).path == path


def test_settings_are_0600_in_a_0700_folder(tmp_path: Path, open_umask) -> None:
    path = save_settings(UserSettings(reader="Dr Müller"), tmp_path / "config" / "settings.json")
    assert _mode(path) == 0o600 and _mode(path.parent) == 0o700


def test_posix_never_loads_the_windows_api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the Windows ACL code ran on POSIX")
    monkeypatch.setattr(windows, "api", refuse)
    private_file(private_folder(tmp_path / "out") / "report.json")
    with pytest.raises(OSError, match="only available on Windows"):
        windows._load()  # and the DLLs are never loaded off Windows


# --- Windows, faked ------------------------------------------------------------------------------------

@dataclass
class FakeAdvapi32:
    """advapi32 as the code calls it: same names, arguments and return conventions (BOOL, or a Win32
    error code for SetNamedSecurityInfoW); records each ACL and each security request."""

    win: FakeWin32
    sid: bytes = sid_bytes(USER_SID)
    token: int = 0x1F4
    acls: dict[int, dict[str, object]] = field(default_factory=dict)
    requests: list[dict[str, object]] = field(default_factory=list)
    fail: dict[str, int] = field(default_factory=dict)

    def _refuse(self, call: str) -> bool:
        if call in self.fail:
            self.win.error = self.fail[call]
            return True
        return False

    def OpenProcessToken(self, process, access, token_ref) -> int:
        if self._refuse("OpenProcessToken"):
            return 0
        assert process.value in (-1, 2**64 - 1) and access == 0x0008  # GetCurrentProcess(), TOKEN_QUERY
        token_ref._obj.value = self.token
        return 1

    def GetTokenInformation(self, token, info_class, buffer, length, returned_ref) -> int:
        assert token.value == self.token and info_class == 1  # TokenUser
        needed = 16 + len(self.sid)  # x64 TOKEN_USER {PSID Sid; DWORD Attributes} + the SID behind it
        returned_ref._obj.value = needed
        if buffer is None or length < needed:
            self.win.error = 122  # ERROR_INSUFFICIENT_BUFFER
            return 0
        base = ctypes.addressof(buffer)
        ctypes.memmove(base, struct.pack("<QI4x", base + 16, 0), 16)
        ctypes.memmove(base + 16, self.sid, len(self.sid))
        return 1

    def InitializeAcl(self, acl, size, revision) -> int:
        assert revision == 2 and size >= 8 and size % 4 == 0  # ACL_REVISION, sizeof(ACL), DWORD-aligned
        self.acls[ctypes.addressof(acl)] = {"size": size, "used": 8, "aces": []}
        return 1

    def AddAccessAllowedAceEx(self, acl, revision, flags, mask, sid) -> int:
        entry = self.acls[ctypes.addressof(acl)]
        sid_data = ctypes.string_at(sid, 8 + 4 * ctypes.string_at(sid, 2)[1])
        ace_size = 8 + len(sid_data)
        if entry["used"] + ace_size > entry["size"]:  # type: ignore[operator]
            self.win.error = 1344  # ERROR_ALLOTTED_SPACE_EXCEEDED
            return 0
        entry["used"] += ace_size  # type: ignore[operator]
        entry["aces"].append((flags, mask, sid_data))  # type: ignore[attr-defined]
        return 1

    def SetNamedSecurityInfoW(self, name, object_type, info, owner, group, dacl, sacl) -> int:
        self.requests.append({"name": name, "type": object_type, "info": info, "owner": owner, "group": group,
                              "sacl": sacl, "aces": list(self.acls[ctypes.addressof(dacl)]["aces"]),  # type: ignore[call-overload]
                              "size_then": os.path.getsize(name) if os.path.isfile(name) else None})
        return self.fail.get("SetNamedSecurityInfoW", 0)


@dataclass
class FakeKernel32:
    closed: list[int] = field(default_factory=list)

    def CloseHandle(self, handle) -> int:
        self.closed.append(handle.value)
        return 1


class FakeWin32:
    def __init__(self) -> None:
        self.error = 0
        self.advapi32 = FakeAdvapi32(self)
        self.kernel32 = FakeKernel32()

    def api(self) -> windows.Win32:
        return windows.Win32(self.advapi32, self.kernel32, lambda: self.error, lambda code: f"message {code}")


@pytest.fixture
def fake_windows(monkeypatch: pytest.MonkeyPatch) -> FakeWin32:
    fake = FakeWin32()
    monkeypatch.setattr(private_files, "on_windows", lambda: True)
    monkeypatch.setattr(windows, "_api", fake.api())
    return fake


def _expected_aces(flags: int) -> list[tuple[int, int, bytes]]:
    return [(flags, FILE_ALL_ACCESS, sid_bytes(USER_SID)), (flags, FILE_ALL_ACCESS, sid_bytes("S-1-5-18"))]


def test_windows_file_gets_a_protected_dacl_for_the_user_and_system_before_data(tmp_path: Path,
                                                                                fake_windows: FakeWin32) -> None:
    path = private_file(tmp_path / "report.pdf")
    (request,) = fake_windows.advapi32.requests
    assert request == {"name": str(path), "type": 1, "info": PROTECTED_DACL, "owner": None, "group": None,
                       "sacl": None, "aces": _expected_aces(0), "size_then": 0}  # SE_FILE_OBJECT; no inheritance
    assert fake_windows.kernel32.closed == [fake_windows.advapi32.token]


def test_windows_folder_acl_is_inherited_by_files_and_subfolders(tmp_path: Path, fake_windows: FakeWin32) -> None:
    folder = private_folder(tmp_path / "export")
    (request,) = fake_windows.advapi32.requests
    assert request["name"] == str(folder) and request["info"] == PROTECTED_DACL
    assert request["aces"] == _expected_aces(INHERIT_TO_FILES_AND_FOLDERS)
    private_folder(folder)  # existing: left as it is
    assert len(fake_windows.advapi32.requests) == 1


@pytest.mark.parametrize("call", ["OpenProcessToken", "SetNamedSecurityInfoW"])
def test_windows_refusal_raises_naming_the_file(tmp_path: Path, fake_windows: FakeWin32, call: str) -> None:
    fake_windows.advapi32.fail[call] = 5  # ERROR_ACCESS_DENIED
    path = tmp_path / "key-1.dcm"
    with pytest.raises(OSError, match=f"cannot make it readable by the user only: {call} failed "
                                      r"\(Windows error 5: message 5\)") as caught:
        private_file(path)
    assert caught.value.filename == str(path) and str(path) in str(caught.value)


def test_windows_atomic_writers_protect_the_temp_file_while_it_is_empty(tmp_path: Path,
                                                                       fake_windows: FakeWin32) -> None:
    """The case file, the settings and a retrieved instance land by rename: the file renamed over
    carries the DACL, set before a byte was written."""
    case_path = tmp_path / "case.mitraplan.json"
    case_path.write_text('{"format": "mitraplan-case", "version": 1, "study": {}, "images": [], "marks": []}',
                         encoding="utf-8")
    save_case(load_case(case_path))
    save_settings(UserSettings(reader="Dr Müller"), tmp_path / "settings.json")
    landed = StudyFolder(tmp_path / "studies", "1.2.3").land_bytes("1.2.3.4", b"DICM-bytes")
    files = [r for r in fake_windows.advapi32.requests if r["aces"] == _expected_aces(0)]
    names = [Path(str(r["name"])).name for r in files]
    assert names[0].startswith(".case.mitraplan.json.") and names[0].endswith(".tmp")
    assert names[1].startswith(".settings.json.") and names[1].endswith(".tmp")
    assert names[2] == ".1.2.3.4.dcm.part" and landed.read_bytes() == b"DICM-bytes"
    assert [r["size_then"] for r in files] == [0, 0, 0]
    folders = [Path(str(r["name"])) for r in fake_windows.advapi32.requests if r not in files]
    assert folders == [tmp_path / "studies", tmp_path / "studies" / "1.2.3"]


def test_windows_refusal_while_landing_leaves_no_partial_file(tmp_path: Path, fake_windows: FakeWin32) -> None:
    study = StudyFolder(tmp_path, "1.2.3")
    study.path.mkdir()
    fake_windows.advapi32.fail["SetNamedSecurityInfoW"] = 5
    with pytest.raises(OSError, match=r"\.1\.2\.3\.4\.dcm\.part"):
        study.land_bytes("1.2.3.4", b"DICM-bytes")
    assert list(study.path.iterdir()) == []




def test_windows_log_folder_and_file_are_protected(log_dir: Path, fake_windows: FakeWin32) -> None:
    path = logs.setup_logging()
    requests = fake_windows.advapi32.requests
    assert [(r["name"], r["aces"]) for r in requests[:2]] == [
        (str(log_dir), _expected_aces(INHERIT_TO_FILES_AND_FOLDERS)), (str(path), _expected_aces(0))]
