"""One scan's evidence folder: a WARC file per finding, its screenshots beside it, and a
manifest of every file with its SHA-256.

    <root>/<brand>-<hash>/<scan start, UTC>/
        manifest.json                      what is here, and each file's SHA-256 and size
        <platform>-<handle>-<hash>.warc.gz the page as fetched (see `archive`)
        <platform>-<handle>-<hash>.png     its full-page screenshot (--screenshots)
        <platform>-own-<hash>.png          the brand's own account there, for comparison

Each file is written whole or not at all, then the manifest is rewritten (also whole), so a
stop or a full disk leaves a folder whose manifest lists only complete files. A scan that is
resumed writes into the same folder and keeps what the manifest already lists.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..domain import Evidence
from ..errors import ConfigError
from ..files import file_stem, storage_error, write_atomic, write_bytes_atomic
from ..pages import ProfilePage
from ..reading import TooLarge, read_capped
from .archive import payload_sha256, warc_file

MANIFEST = "manifest.json"
MANIFEST_VERSION = 1


def scan_folder(root: Path, brand: str, started_at: datetime) -> Path:
    """The folder of one scan's evidence: the brand's (a readable, unique name), then the
    scan's start in UTC (a resumed scan has the same start, so the same folder)."""
    stamp = started_at.astimezone(UTC).strftime("%Y-%m-%dT%H-%M-%SZ")
    return root / file_stem(brand) / stamp


@dataclass(frozen=True, slots=True)
class Screenshot:
    """A PNG to keep beside a finding's archive: the suspect's page, or the brand's own."""

    png: bytes
    url: str


class EvidenceFolder:
    """Writes one scan's evidence; `add` archives one finding's page and returns its Evidence."""

    def __init__(self, path: Path, brand: str, started_at: datetime) -> None:
        self.path = path
        self.brand = brand
        self.started_at = started_at
        self._files: dict[str, dict[str, Any]] = {}
        self._findings: dict[str, dict[str, Any]] = {}
        existing = path / MANIFEST
        if existing.exists():
            manifest = read_manifest(existing)
            self._files = dict(manifest.get("files", {}))
            self._findings = {f"{f['platform']}/{f['handle']}": f for f in manifest.get("findings", [])}

    def _write(self, name: str, data: bytes, what: str) -> str:
        write_bytes_atomic(self.path / name, data, what)
        digest = hashlib.sha256(data).hexdigest()
        self._files[name] = {"sha256": digest, "bytes": len(data)}
        return digest

    def add(
        self,
        platform: str,
        handle: str,
        page: ProfilePage,
        metadata: Mapping[str, Any],
        shot: Screenshot | None = None,
        own: Screenshot | None = None,
    ) -> Evidence:
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise storage_error("the evidence folder", self.path, exc) from None
        stem = file_stem(f"{platform}/{handle}")
        shot_name = own_name = None
        shot_digest = None
        if shot is not None:
            shot_name = f"{stem}.png"
            shot_digest = self._write(shot_name, shot.png, "a screenshot")
        if own is not None:
            own_name = f"{file_stem(platform + '/own')}.png"
            if own_name not in self._files:  # one per platform and scan, beside all its findings
                self._write(own_name, own.png, "a screenshot")
        kept = {
            **metadata,
            "screenshot": {"file": shot_name, "sha256": shot_digest, "url": shot.url} if shot else None,
            "own_screenshot": {"file": own_name, "url": own.url} if own else None,
        }
        data, record_id = warc_file(page, kept, about=(("brand", self.brand), ("scan-started", self._started())))
        archive = f"{stem}.warc.gz"
        self._write(archive, data, "the evidence archive")
        evidence = Evidence(
            folder=str(self.path), archive=archive, record_id=record_id, payload_sha256=payload_sha256(page),
            captured_at=page.fetched_at, http_status=page.response.status, screenshot=shot_name,
            screenshot_sha256=shot_digest, own_screenshot=own_name,
        )  # fmt: skip
        self._findings[f"{platform}/{handle}"] = {
            "platform": platform, "handle": handle, "url": page.response.url, **evidence.to_dict(),
            "classification": metadata.get("classification"), "risk": metadata.get("risk"),
        }  # fmt: skip
        self._save_manifest()
        return evidence

    def _started(self) -> str:
        return self.started_at.astimezone(UTC).isoformat(timespec="seconds")

    def _save_manifest(self) -> None:
        manifest = {
            "version": MANIFEST_VERSION,
            "software": "handlecheck",
            "brand": self.brand,
            "scan_started": self._started(),
            "files": dict(sorted(self._files.items())),
            "findings": sorted(self._findings.values(), key=lambda f: (f["platform"], f["handle"])),
        }
        write_atomic(self.path / MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", "the manifest")


def embedded_png(path: Path) -> str | None:
    """A PNG file as a data: URI (for a self-contained html report); None when it is not there."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return "data:image/png;base64," + base64.b64encode(data).decode() if data.startswith(b"\x89PNG") else None


MAX_MANIFEST_BYTES = 16 * 2**20  # a line per file archived


def read_manifest(path: Path) -> dict[str, Any]:
    """A manifest's content; a file that is not one is a one-line ConfigError naming it."""
    try:
        data = json.loads(read_capped(path, MAX_MANIFEST_BYTES).decode("utf-8"))
    except TooLarge as exc:
        why = exc.describe("an evidence manifest", "not a handlecheck evidence manifest")
        raise ConfigError(why, source=str(path)) from None
    except OSError as exc:
        raise ConfigError(f"cannot read the manifest ({exc.strerror or exc})", source=str(path)) from None
    except RecursionError:
        raise ConfigError("not a handlecheck evidence manifest (JSON nested too deeply)", source=str(path)) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"not a handlecheck evidence manifest ({exc})", source=str(path)) from None
    if not isinstance(data, dict) or not isinstance(data.get("files"), dict) or data.get("software") != "handlecheck":
        raise ConfigError("not a handlecheck evidence manifest (no files listed)", source=str(path))
    files = data["files"]
    if not all(isinstance(v, dict) and isinstance(v.get("sha256"), str) for v in files.values()):
        raise ConfigError("not a handlecheck evidence manifest (a file without its sha256)", source=str(path))
    return data
