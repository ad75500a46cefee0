"""`handlecheck evidence verify DIR`: recompute every hash of the evidence under DIR.

Three checks, for each scan folder (a folder holding a manifest) under DIR:
  * each file the manifest lists is there, with the SHA-256 the manifest recorded;
  * each WARC file's own digests still match its records (warcio reads them back), and the
    response's payload is the one whose hash the scan reported (in its report text and history);
  * a file that the manifest does not list is named (not a change to the evidence, but not
    part of it either).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from ..errors import ConfigError
from ..text import printable
from .folder import MANIFEST, read_manifest

CHUNK = 1 << 20


class FileState(StrEnum):
    INTACT = "intact"
    CHANGED = "changed"
    MISSING = "missing"
    UNREADABLE = "unreadable"
    """A manifest that no longer reads as one (beside others that do)."""
    UNLISTED = "unlisted"

    @property
    def is_problem(self) -> bool:
        return self in (FileState.CHANGED, FileState.MISSING, FileState.UNREADABLE)


@dataclass(frozen=True, slots=True)
class FileCheck:
    path: Path
    state: FileState
    detail: str = ""

    def describe(self) -> str:
        return f"{self.state.value}: {self.path}" + (f" ({self.detail})" if self.detail else "")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _archive_problem(path: Path, payload_sha256: str | None) -> str | None:
    """Why a WARC file's records no longer match their digests (or the reported payload hash)."""
    payloads: list[str] = []
    try:
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream, check_digests=True):
                body = record.content_stream().read()
                if record.digest_checker.passed is False:
                    return f"{record.rec_type} record: {'; '.join(record.digest_checker.problems)}"
                if record.rec_type == "response":
                    payloads.append(hashlib.sha256(body).hexdigest())
    except (ArchiveLoadFailed, OSError, EOFError, ValueError) as exc:
        return f"not a readable WARC file: {printable(str(exc).strip().split(chr(10))[0], 120)}"
    if payload_sha256 is not None and payload_sha256 not in payloads:
        return "its page is not the one whose hash the scan reported"
    return None


def _scan_folders(root: Path) -> list[Path]:
    if not root.is_dir():
        raise ConfigError("not a folder", source=str(root))
    folders = sorted(p.parent for p in root.rglob(MANIFEST))
    if not folders:
        raise ConfigError(f"no handlecheck evidence here (no {MANIFEST} in it or below it)", source=str(root))
    return folders


def _payloads(manifest: dict[str, Any]) -> dict[str, str]:
    """The payload hash reported for each archive file."""
    found = {}
    for finding in manifest.get("findings", []):
        if isinstance(finding, dict) and isinstance(finding.get("archive"), str):
            found[finding["archive"]] = str(finding.get("payload_sha256"))
    return found


def check_folder(folder: Path) -> Iterator[FileCheck]:
    manifest = read_manifest(folder / MANIFEST)
    listed: dict[str, Any] = manifest["files"]
    payloads = _payloads(manifest)
    for name, entry in sorted(listed.items()):
        path = folder / name
        if Path(name).name != name or not path.is_file():
            yield FileCheck(path, FileState.MISSING)
            continue
        actual = _sha256(path)
        if actual != entry["sha256"]:
            yield FileCheck(path, FileState.CHANGED, f"sha256 {actual[:16]}..., recorded {entry['sha256'][:16]}...")
            continue
        problem = _archive_problem(path, payloads.get(name)) if name.endswith(".warc.gz") else None
        yield FileCheck(path, FileState.CHANGED, problem) if problem else FileCheck(path, FileState.INTACT)
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.name != MANIFEST and path.name not in listed and not path.name.startswith("."):
            yield FileCheck(path, FileState.UNLISTED, "not in the manifest")


def verify(root: Path) -> list[FileCheck]:
    """Every file of every scan folder under `root`, checked. A manifest that does not read is
    a problem of its folder, and the other folders are still checked; a root with no evidence,
    or with no manifest that reads, is a one-line ConfigError."""
    folders = _scan_folders(root)
    checks: list[FileCheck] = []
    unreadable: list[ConfigError] = []
    for folder in folders:
        try:
            checks.extend(check_folder(folder))
        except ConfigError as exc:
            unreadable.append(exc)
            checks.append(FileCheck(folder / MANIFEST, FileState.UNREADABLE, exc.reason))
    if len(unreadable) == len(folders):
        raise unreadable[0]
    return checks
