"""Standard output that fails in one line: a full disk or a closed terminal under `> report.txt`
is a StorageError naming standard output, not a traceback from deep inside a renderer.

A broken pipe (`| head`) stays a BrokenPipeError: the reader had what it wanted, and `main`
ends quietly with 0 for it. Standard streams closed by the caller (`>&-`) are held open on the
null device, so that no file the program opens takes their numbers."""

from __future__ import annotations

import errno
import io
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO, cast

from ..errors import StorageError


class _Guarded:
    """`stream` with write and flush failures turned into StorageError; the rest passed on."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise _failure(exc) from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise _failure(exc) from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _failure(exc: OSError) -> StorageError:
    return StorageError(f"cannot write to standard output: {exc.strerror or exc}")


@contextmanager
def guarded_stdout() -> Iterator[None]:
    """`sys.stdout` guarded while the block runs and flushed at its end (so that a full disk
    shows here, not at the interpreter's exit); the stream before it is put back after."""
    before = sys.stdout
    sys.stdout = cast(TextIO, _Guarded(before))
    try:
        try:
            yield
        except SystemExit:  # argparse after --help or --version: what it printed must reach its file
            sys.stdout.flush()
            raise
        sys.stdout.flush()
    finally:
        sys.stdout = before


class _Closed(io.TextIOBase):
    """Standard output that its caller closed: every write fails, as on a full disk."""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, os.strerror(errno.EBADF))


def hold_standard_descriptors() -> None:
    """Descriptors 0-2 that the caller closed (`<&-`, `>&-`, `2>&-`) opened on the null device.
    Left closed, the next file the program opens takes the number: a report would be written
    where error lines go, and uvloop aborts. A closed standard output then fails on the first
    write (one line, exit 2); a closed standard input reads as empty; a closed standard error
    loses its lines, as its caller chose."""
    closed = []
    for descriptor in (0, 1, 2):
        try:
            os.fstat(descriptor)
        except OSError:
            null = os.open(os.devnull, os.O_RDWR)
            if null != descriptor:
                os.dup2(null, descriptor)
                os.close(null)
            closed.append(descriptor)
    if 0 in closed:
        sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115 (the program's own stdin, for its life)
    if 1 in closed:
        sys.stdout = _Closed()
    if 2 in closed:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
