"""The exceptions handlecheck raises to its callers.

    HandlecheckError        anything the user can fix; its message is one line
      ConfigError           a platform file or config file is wrong (names file, line, YAML path)
      InputError            a handle, a CSV row or an argument cannot be used
      StorageError          a file or database cannot be written (full disk, read-only folder)

Network failures are never raised: they become `unknown` results with a reason.
"""

from __future__ import annotations


class HandlecheckError(Exception):
    """Base class: the message is a single line meant for the user."""


# A reason may quote what the file holds (a 300-level JSON path, a long URL): it is cut in
# the middle, so that its start (what) and its end (why) are both kept.
MAX_REASON_CHARS = 300


class ConfigError(HandlecheckError):
    """A platform file or config file is malformed."""

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        line: int | None = None,
        path: str | None = None,
    ) -> None:
        if len(message) > MAX_REASON_CHARS:
            keep = (MAX_REASON_CHARS - 5) // 2
            message = f"{message[:keep]} ... {message[-keep:]}"
        self.reason = message
        self.source = source
        self.line = line
        self.path = path
        where = source or "<platforms>"
        if line is not None:
            where = f"{where}:{line}"
        location = f" {path}:" if path else ""
        super().__init__(f"{where}:{location} {message}")


class InputError(HandlecheckError):
    """A handle or another user-supplied value cannot be used."""


class StorageError(HandlecheckError):
    """Something already gathered cannot be stored: a full disk, a read-only folder or database.
    The message names what and where and what to do."""
