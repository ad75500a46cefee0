"""Output files written whole or not at all.

Each file is written to a temporary file in the target's folder and renamed over the target
once complete, so a stop, a crash or a full disk never leaves a truncated report where a good
one was. Failures become one-line `StorageError`s that say what, where and what to do.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
import tempfile
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO

from .errors import StorageError
from .text import printable

SLUG_LENGTH = 40
_NOT_SLUG = re.compile(r"[^a-z0-9]+")

_ADVICE = {
    errno.ENOSPC: "free some space or write elsewhere",
    errno.EDQUOT: "free some space or write elsewhere",
    errno.EROFS: "the file system is read-only: write elsewhere",
    errno.EACCES: "no permission: write elsewhere",
    errno.EPERM: "no permission: write elsewhere",
}


def storage_error(what: str, where: str | Path, exc: OSError) -> StorageError:
    """The one-line error for an OSError met while storing `what` at `where`."""
    advice = _ADVICE.get(exc.errno or 0, "check the path")
    return StorageError(f"cannot write {what} {where}: {exc.strerror or exc} ({advice})")


def file_stem(text: str) -> str:
    """A file name for `text` (a brand, an account): a readable slug of it and a short hash of it
    as written, so that Acme, ACME and acme! get three names, and the same text the same name on
    every run. ASCII letters, digits and '-': no separator, no name a system reserves (the hash
    follows the slug: never CON or NUL alone), at most 53 characters."""
    ascii_name = unicodedata.normalize("NFKD", printable(text)).encode("ascii", "ignore").decode()
    slug = _NOT_SLUG.sub("-", ascii_name.casefold()).strip("-")[:SLUG_LENGTH].rstrip("-") or "brand"
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return f"{slug}-{digest}"


def _mode_for(target: Path) -> int:
    """The target's own permissions when it exists, else what the umask gives a new file."""
    try:
        return target.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@contextmanager
def atomic_output(path: str | Path, what: str = "file") -> Iterator[IO[str]]:
    """A text stream whose content replaces `path` when the block ends normally (including a
    block that caught an interrupt and wrote what it had); on an exception the target is left
    as it was. A symbolic link is followed (the file it names is replaced, the link kept); a
    device or a pipe (/dev/stdout, a FIFO) is written in place, having nothing to rename over."""
    if _is_special(Path(path)):
        with _in_place(Path(path), what) as stream:
            yield stream
        return
    with _replacing(path, what) as descriptor, os.fdopen(descriptor, "w", encoding="utf-8", newline="") as stream:
        yield stream
        stream.flush()
        os.fsync(stream.fileno())


def write_bytes_atomic(path: str | Path, data: bytes, what: str = "file") -> None:
    """`data` as the whole of the regular file `path`, or (on any failure) no change to it."""
    with _replacing(path, what) as descriptor, os.fdopen(descriptor, "wb") as stream:
        stream.write(data)
        stream.flush()
        os.fsync(stream.fileno())


@contextmanager
def _replacing(path: str | Path, what: str) -> Iterator[int]:
    """A descriptor of a temporary file beside `path` that replaces it when the block ends normally."""
    target = Path(os.path.realpath(path))
    try:
        descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    except OSError as exc:
        raise storage_error(what, path, exc) from None
    try:
        yield descriptor
        os.chmod(temporary, _mode_for(target))
        os.replace(temporary, target)
    except OSError as exc:
        _remove(temporary)
        raise storage_error(what, path, exc) from None
    except BaseException:
        _remove(temporary)
        raise


@contextmanager
def _in_place(target: Path, what: str) -> Iterator[IO[str]]:
    try:
        with open(target, "w", encoding="utf-8", newline="") as stream:
            yield stream
    except OSError as exc:
        raise storage_error(what, target, exc) from None


def _is_special(target: Path) -> bool:
    try:
        return not stat.S_ISREG(target.stat().st_mode)
    except OSError:
        return False  # not there yet: a new regular file


def write_atomic(path: str | Path, text: str, what: str = "file") -> None:
    with atomic_output(path, what) as stream:
        stream.write(text)


def _remove(path: str) -> None:
    with suppress(OSError):
        os.unlink(path)
