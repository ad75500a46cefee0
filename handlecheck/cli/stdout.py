"""Standard output that fails in one line: a full disk or a closed terminal under `> report.txt`
is a StorageError naming standard output, not a traceback from deep inside a renderer.

A broken pipe (`| head`) stays a BrokenPipeError: the reader had what it wanted, and `main`
ends quietly with 0 for it."""

from __future__ import annotations

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
