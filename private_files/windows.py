"""The Windows half of :mod:`private_files`: a protected DACL for the current user and SYSTEM, via ctypes.

``protect(path)`` replaces the DACL of ``path`` by one that does not inherit from the folder and holds
two ACEs: full control (FILE_ALL_ACCESS) for the user this process runs as (the SID of its token's
TokenUser), and for SYSTEM (S-1-5-18). On a folder both ACEs are inherited by the files and subfolders
created in it. Everyone else (other users, Users, Authenticated Users, and the Administrators group)
gets nothing; an administrator must take ownership, a deliberate and audited act, to read the data.

SYSTEM is kept on purpose: it is the Windows equivalent of root, which a POSIX 0600 file does not keep
out either (services running as SYSTEM hold the backup and take-ownership privileges anyway), and
hospital IT's backup, indexing and antivirus agents run as SYSTEM; without its ACE the files of a
clinician's report folder would silently drop out of the department's backups.

Calls (advapi32/kernel32, no pywin32): OpenProcessToken + GetTokenInformation(TokenUser) for the SID,
InitializeAcl + AddAccessAllowedAceEx for the ACL, SetNamedSecurityInfoW with DACL_SECURITY_INFORMATION |
PROTECTED_DACL_SECURITY_INFORMATION to apply it. The DLLs are loaded on first use, on Windows only,
so this module imports (and is tested with a fake API) on Linux.
"""

from __future__ import annotations

import ctypes
import errno
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TOKEN_QUERY = 0x0008
TOKEN_USER_CLASS = 1  # TOKEN_INFORMATION_CLASS.TokenUser
ERROR_INSUFFICIENT_BUFFER = 122
ACL_REVISION = 2
#: STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0x1FF: every right on a file or folder (winnt.h).
FILE_ALL_ACCESS = 0x001F01FF
OBJECT_INHERIT_ACE, CONTAINER_INHERIT_ACE = 0x1, 0x2
SE_FILE_OBJECT = 1
DACL_SECURITY_INFORMATION = 0x00000004
PROTECTED_DACL_SECURITY_INFORMATION = 0x80000000
#: S-1-5-18, LocalSystem: revision 1, one sub-authority (18), identifier authority SECURITY_NT_AUTHORITY (5).
SYSTEM_SID = bytes([1, 1, 0, 0, 0, 0, 0, 5]) + (18).to_bytes(4, "little")
_ACL_HEADER_SIZE = 8  # sizeof(ACL)
_ACE_SIZE_WITHOUT_SID = 8  # sizeof(ACCESS_ALLOWED_ACE) - sizeof(SidStart): ACE_HEADER + ACCESS_MASK
_CURRENT_PROCESS = ctypes.c_void_p(-1)  # GetCurrentProcess()'s pseudo handle, a constant


class SidAndAttributes(ctypes.Structure):
    _fields_ = (("Sid", ctypes.c_void_p), ("Attributes", ctypes.c_uint32))


class TokenUser(ctypes.Structure):
    """TOKEN_USER: what GetTokenInformation(TokenUser) writes at the start of its buffer."""

    _fields_ = (("User", SidAndAttributes),)


@dataclass(frozen=True)
class Win32:
    """The DLL functions this module calls, and the thread's last Win32 error (tests pass a fake)."""

    advapi32: Any
    kernel32: Any
    last_error: Callable[[], int]
    describe: Callable[[int], str]


_api: Win32 | None = None


def api() -> Win32:
    """advapi32 and kernel32, loaded and typed on first use (Windows only)."""
    global _api
    if _api is None:
        _api = _load()
    return _api


def _load() -> Win32:
    if sys.platform == "win32":  # mypy checks this block only for Windows; Linux never runs it
        from ctypes import wintypes

        advapi32 = ctypes.WinDLL("advapi32", use_last_error=True)
        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
        handle, dword, pointer = wintypes.HANDLE, wintypes.DWORD, ctypes.c_void_p  # out-parameters: byref() as void*
        signatures = [
            (advapi32.OpenProcessToken, [handle, dword, pointer], wintypes.BOOL),
            (advapi32.GetTokenInformation, [handle, ctypes.c_int, pointer, dword, pointer], wintypes.BOOL),
            (advapi32.InitializeAcl, [pointer, dword, dword], wintypes.BOOL),
            (advapi32.AddAccessAllowedAceEx, [pointer, dword, dword, dword, pointer], wintypes.BOOL),
            (advapi32.SetNamedSecurityInfoW, [wintypes.LPCWSTR, ctypes.c_int, dword, pointer, pointer, pointer, pointer],
             dword),
            (kernel32.CloseHandle, [handle], wintypes.BOOL),
        ]
        for function, argtypes, restype in signatures:
            function.argtypes, function.restype = argtypes, restype
        return Win32(advapi32, kernel32, ctypes.get_last_error, ctypes.FormatError)
    raise OSError("Windows ACLs are only available on Windows")


def protect(path: Path, *, folder: bool) -> None:
    """Give ``path`` a protected DACL: full control for the current user and SYSTEM only (inherited
    by what is created inside when ``folder``). OSError naming the file when Windows refuses."""
    win = api()
    try:
        acl = _acl([current_user_sid(win), SYSTEM_SID], OBJECT_INHERIT_ACE | CONTAINER_INHERIT_ACE if folder else 0, win)
        error = win.advapi32.SetNamedSecurityInfoW(str(path), SE_FILE_OBJECT,
                                                   DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION,
                                                   None, None, acl, None)
        if error:
            raise _Failure("SetNamedSecurityInfoW", error)
    except _Failure as failure:
        raise OSError(errno.EACCES, f"cannot make it readable by the user only: {failure.call} failed "
                      f"(Windows error {failure.code}: {win.describe(failure.code)})", str(path),
                      failure.code) from None  # on Windows the winerror argument also sets errno


class _Failure(Exception):
    """A Win32 call that failed, and its error code; :func:`protect` turns it into an OSError with the file."""

    def __init__(self, call: str, code: int) -> None:
        super().__init__(call, code)
        self.call, self.code = call, code


def _check(ok: int, call: str, win: Win32) -> None:
    if not ok:
        raise _Failure(call, win.last_error())


def current_user_sid(win: Win32) -> bytes:
    """The binary SID of the user this process runs as (its token's TokenUser)."""
    token = ctypes.c_void_p()
    _check(win.advapi32.OpenProcessToken(_CURRENT_PROCESS, TOKEN_QUERY, ctypes.byref(token)), "OpenProcessToken", win)
    try:
        size = ctypes.c_uint32(0)
        if not win.advapi32.GetTokenInformation(token, TOKEN_USER_CLASS, None, 0, ctypes.byref(size)):
            code = win.last_error()
            if code != ERROR_INSUFFICIENT_BUFFER:
                raise _Failure("GetTokenInformation", code)
        buffer = ctypes.create_string_buffer(size.value)
        _check(win.advapi32.GetTokenInformation(token, TOKEN_USER_CLASS, buffer, size.value, ctypes.byref(size)),
               "GetTokenInformation", win)
        sid = TokenUser.from_buffer(buffer).User.Sid
        header = ctypes.string_at(sid, 8)  # revision, sub-authority count, 6-byte identifier authority
        return ctypes.string_at(sid, 8 + 4 * header[1])
    finally:
        win.kernel32.CloseHandle(token)


def _acl(sids: list[bytes], ace_flags: int, win: Win32) -> ctypes.Array[ctypes.c_uint32]:
    """An ACL granting FILE_ALL_ACCESS to each SID, in order, with ``ace_flags`` (inheritance) on each ACE."""
    size = _ACL_HEADER_SIZE + sum(_ACE_SIZE_WITHOUT_SID + len(sid) for sid in sids)
    acl = (ctypes.c_uint32 * (-(-size // 4)))()  # DWORD-aligned, as InitializeAcl requires
    _check(win.advapi32.InitializeAcl(acl, ctypes.sizeof(acl), ACL_REVISION), "InitializeAcl", win)
    for sid in sids:
        _check(win.advapi32.AddAccessAllowedAceEx(acl, ACL_REVISION, ace_flags, FILE_ALL_ACCESS,
                                                  ctypes.create_string_buffer(sid, len(sid))),
               "AddAccessAllowedAceEx", win)
    return acl
