"""Input files read with a cap: a file (or a pipe, or a device such as /dev/zero) larger than
its kind can sensibly be is refused before it is parsed, and never read further than the cap,
so a wrong path cannot fill memory or keep the YAML parser busy for minutes."""

from __future__ import annotations

import os
import stat
from pathlib import Path


class TooLarge(Exception):
    """More than `limit` bytes; `size` is the file's size when it has one (not for a pipe)."""

    def __init__(self, size: int | None, limit: int) -> None:
        super().__init__(f"more than {limit} bytes")
        self.size = size
        self.limit = limit

    def describe(self, kind: str, advice: str) -> str:
        """'12.0 MiB is more than the 8 MiB a platform file may be; split it'."""
        shown = f"{self.size / 2**20:.1f} MiB" if self.size is not None and self.size > self.limit else "the file"
        return f"{shown} is more than the {self.limit // 2**20} MiB {kind} may be; {advice}"


def read_capped(path: str | Path, limit: int) -> bytes:
    """The bytes of `path`, at most `limit` of them; TooLarge when it holds more. OSError as open raises it."""
    with Path(path).open("rb") as stream:
        status = os.fstat(stream.fileno())
        size = status.st_size if stat.S_ISREG(status.st_mode) else None
        if size is not None and size > limit:
            raise TooLarge(size, limit)
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(size, limit)
    return data
