"""Typed PACS errors: each message is one plain sentence naming the node and what went wrong.

Errors caused by the user's node settings (a malformed address, an AE title the PACS does not
know, nothing listening on the port) derive from :class:`InputError` (exit 3 on the command
line); failures of the network or the server (timeout, connection lost mid-transfer, a failure
status) derive from :class:`PacsError` (exit 1).
"""

from __future__ import annotations

from imaging.errors import InputError, MitraPlanError


class PacsError(MitraPlanError):
    """A PACS operation failed for a reason outside the user's settings."""


class PacsTimeoutError(PacsError):
    """The node accepted the connection but did not answer in time."""


class PacsTransferError(PacsError):
    """A query, retrieve or send started but did not complete (lost connection, failure status)."""


class PacsCancelledError(PacsError):
    """The user cancelled a transfer."""


class PacsConfigError(InputError):
    """The node settings are wrong: a malformed address or AE title, or a file that cannot be sent."""


class PacsConnectionError(PacsConfigError):
    """Nothing answers at the node's host and port (closed port, unknown host)."""


class PacsRejectedError(PacsConfigError):
    """The node refused the association or the request (AE title not recognised, service not allowed)."""
