"""Where the scan history goes by default: the user's data folder, as platformdirs has it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import platformdirs
import pytest

from handlecheck.cli import main
from tests.conftest import PlatformFile, profile_entry
from tests.simulator import Simulator, profiles


async def test_cli_scan_keeps_its_history_in_the_platforms_data_folder(
    sim: Simulator, platform_file: PlatformFile, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = await sim.site(profiles([]))
    platforms = str(platform_file(profile_entry("site", site.base)))
    argv = ["scan", "Acme", "--platforms", platforms, "--depth", "quick", "--no-progress", "--format", "json"]
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    # The XDG spec: a relative $XDG_DATA_HOME is invalid and ignored (not a folder under the cwd).
    monkeypatch.setenv("XDG_DATA_HOME", "relative/data")
    assert await asyncio.to_thread(main, argv) == 0
    expected = platformdirs.user_data_path("handlecheck", appauthor=False) / "history.sqlite"
    assert expected == tmp_path / "home" / ".local" / "share" / "handlecheck" / "history.sqlite"
    assert expected.is_file() and not (tmp_path / "relative").exists()
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert await asyncio.to_thread(main, argv) == 0
    assert (tmp_path / "xdg" / "handlecheck" / "history.sqlite").is_file()
