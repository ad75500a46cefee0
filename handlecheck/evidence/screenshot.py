"""Full-page screenshots with a headless Chromium, driven over the DevTools protocol (cdp.py).

One `Browser` is one Chromium process with a fresh temporary profile: it takes screenshots of
many pages, two at a time, each in a target (tab) of its own that is closed afterwards. On exit
the process is stopped and the profile, with any cookies the pages set, is deleted.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import math
import os
import shutil
import signal
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import aiohttp

from handlecheck.errors import HandlecheckError
from handlecheck.evidence.cdp import CdpClosed, CdpError, Connection, Event

BROWSER_VARIABLE = "HANDLECHECK_CHROMIUM"
BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome")
CONCURRENT_SCREENSHOTS = 2
GRACE_SECONDS = 5.0  # for Chromium to exit after SIGTERM, and for a tab to close
VIEWPORT_HEIGHT = 800  # what the page sees as the window; the screenshot covers the whole page
FLAGS = (
    "--headless=new",
    "--remote-debugging-port=0",  # Chromium picks a free port and writes it to DevToolsActivePort
    "--disable-gpu",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--metrics-recording-only",
    "--mute-audio",
    "--hide-scrollbars",
)


def find_browser(environ: Mapping[str, str] = os.environ) -> str | None:
    """`HANDLECHECK_CHROMIUM` if set, else the first Chromium or Chrome on PATH."""
    configured = environ.get(BROWSER_VARIABLE)
    if configured:
        return configured
    path = environ.get("PATH", os.defpath)
    for name in BROWSER_NAMES:
        found = shutil.which(name, path=path)
        if found:
            return found
    return None


class ScreenshotError(HandlecheckError):
    """A page could not be captured (`subject` names the URL), or the browser could not start."""

    def __init__(self, subject: str, reason: str) -> None:
        self.subject = " ".join(subject.split())
        self.reason = " ".join(reason.split())
        super().__init__(f"{self.subject}: {self.reason}")


class Browser:
    """`async with Browser(executable) as browser: png = await browser.screenshot(url)`."""

    def __init__(
        self,
        executable: str,
        *,
        proxy: str | None = None,
        extra_args: Sequence[str] = (),
        launch_timeout: float = 30.0,
    ) -> None:
        self.executable = executable
        flags = [*FLAGS]
        if os.geteuid() == 0:
            flags.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
        if proxy:
            flags.append(f"--proxy-server={proxy}")
        self._flags = [*flags, *extra_args]
        self._launch_timeout = launch_timeout
        self._slots = asyncio.Semaphore(CONCURRENT_SCREENSHOTS)
        self._root: Path | None = None
        self._process: asyncio.subprocess.Process | None = None
        self._connection: Connection | None = None

    @property
    def pid(self) -> int | None:
        """The Chromium process, once started."""
        return None if self._process is None else self._process.pid

    @property
    def profile_dir(self) -> Path | None:
        """The temporary profile (`--user-data-dir`), once made; deleted on exit."""
        return None if self._root is None else self._root / "profile"

    async def __aenter__(self) -> Browser:
        try:
            await self._launch()
        except BaseException:
            await self._shutdown()
            raise
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self._shutdown()

    async def screenshot(self, url: str, *, width: int = 1280, max_height: int = 10000, timeout: float = 20.0) -> bytes:
        """A PNG of the whole page at `url` (at most `max_height` pixels tall), once it has loaded."""
        connection = self._connection
        if connection is None:
            raise RuntimeError("Browser.screenshot needs `async with Browser(...)`")
        subject = f"screenshot of {url}"
        async with self._slots:
            target_id: str | None = None
            try:
                async with asyncio.timeout(timeout):
                    target_id = (await connection.send("Target.createTarget", {"url": "about:blank"}))["targetId"]
                    return await _capture(connection, target_id, subject, url, width, max_height)
            except TimeoutError:
                raise ScreenshotError(subject, f"the page did not load within {timeout:g} s") from None
            except CdpClosed:
                raise ScreenshotError(subject, "the browser exited or crashed") from None
            except CdpError as exc:
                raise ScreenshotError(subject, f"the browser refused: {exc}") from None
            finally:
                if target_id is not None:
                    await _close_target(connection, target_id)

    async def _launch(self) -> None:
        self._root = Path(tempfile.mkdtemp(prefix="handlecheck-chromium-"))
        profile = self._root / "profile"
        log = self._root / "chromium.log"
        arguments = [f"--user-data-dir={profile}", *self._flags, "about:blank"]
        try:
            with log.open("wb") as stderr:
                self._process = await asyncio.create_subprocess_exec(
                    self.executable,
                    *arguments,
                    stdin=asyncio.subprocess.DEVNULL,
                    stdout=asyncio.subprocess.DEVNULL,
                    stderr=stderr,
                    start_new_session=True,  # its own process group, so that its helpers can be stopped with it
                )
        except OSError as exc:
            raise self._launch_error(f"cannot start it: {exc.strerror or exc}") from None
        try:
            async with asyncio.timeout(self._launch_timeout):
                url = await self._devtools_url(profile / "DevToolsActivePort", log)
                self._connection = await Connection.open(url)
        except TimeoutError:
            raise self._launch_error(f"no DevTools port within {self._launch_timeout:g} s") from None
        except (aiohttp.ClientError, ConnectionError) as exc:
            raise self._launch_error(f"cannot connect to its DevTools port: {exc}") from None

    async def _devtools_url(self, port_file: Path, log: Path) -> str:
        """Wait for Chromium to write its port and browser path (two lines), or to exit."""
        assert self._process is not None
        while True:
            with contextlib.suppress(OSError):
                lines = port_file.read_text(encoding="utf-8").splitlines()
                if len(lines) >= 2 and lines[0].isdigit() and lines[1].startswith("/devtools/"):
                    return f"ws://127.0.0.1:{lines[0]}{lines[1]}"
            if self._process.returncode is not None:
                raise self._launch_error(f"exited with status {self._process.returncode}{_last_line(log)}")
            await asyncio.sleep(0.05)

    def _launch_error(self, reason: str) -> ScreenshotError:
        return ScreenshotError(f"Chromium {self.executable}", reason)

    async def _shutdown(self) -> None:
        """Stop the browser and delete the profile; this finishes even if the caller is
        cancelled meanwhile, and the cancellation is raised afterwards."""
        task = asyncio.ensure_future(self._stop())
        cancelled = False
        while not task.done():
            try:
                await asyncio.shield(task)
            except asyncio.CancelledError:
                cancelled = True
        if cancelled:
            raise asyncio.CancelledError
        task.result()

    async def _stop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            await connection.close()
        if self._process is not None:
            await _end(self._process)
        if self._root is not None:
            await asyncio.to_thread(shutil.rmtree, self._root, True)


async def _capture(
    connection: Connection, target_id: str, subject: str, url: str, width: int, max_height: int
) -> bytes:
    attached = await connection.send("Target.attachToTarget", {"targetId": target_id, "flatten": True})
    session: str = attached["sessionId"]
    events = connection.events(session)
    try:
        viewport = {"width": width, "height": VIEWPORT_HEIGHT, "deviceScaleFactor": 1, "mobile": False}
        await connection.send("Page.enable", session_id=session)
        await connection.send("Inspector.enable", session_id=session)
        await connection.send("Page.setLifecycleEventsEnabled", {"enabled": True}, session)
        await connection.send("Emulation.setDeviceMetricsOverride", viewport, session)
        navigation = await connection.send("Page.navigate", {"url": url}, session)
        if navigation.get("errorText"):
            raise ScreenshotError(subject, navigation["errorText"])
        await _loaded(events, navigation.get("loaderId"), subject)
        size = (await connection.send("Page.getLayoutMetrics", session_id=session))["cssContentSize"]
        clip = {
            "x": 0,
            "y": 0,
            "width": max(1, math.ceil(size["width"])),
            "height": max(1, min(math.ceil(size["height"]), max_height)),
            "scale": 1,
        }
        shot = await connection.send(
            "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip}, session
        )
        return base64.b64decode(shot["data"])
    finally:
        connection.forget(session)


async def _loaded(events: asyncio.Queue[Event | None], loader_id: Any, subject: str) -> None:
    """Wait for the load event of this navigation (not of the blank page the tab opened with)."""
    while True:
        event = await events.get()
        if event is None:
            raise CdpClosed("connection closed")
        method, params = event
        if method == "Inspector.targetCrashed":
            raise ScreenshotError(subject, "the page crashed")
        if method == "Page.lifecycleEvent" and params.get("name") == "load" and params.get("loaderId") == loader_id:
            return


async def _close_target(connection: Connection, target_id: str) -> None:
    with contextlib.suppress(CdpClosed, CdpError, TimeoutError):
        async with asyncio.timeout(GRACE_SECONDS):
            await connection.send("Target.closeTarget", {"targetId": target_id})


async def _end(process: asyncio.subprocess.Process) -> None:
    """SIGTERM, then SIGKILL to the whole process group after a grace period; always reaped."""
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        try:
            async with asyncio.timeout(GRACE_SECONDS):
                await process.wait()
        except TimeoutError:
            _kill_group(process.pid)
            await process.wait()
    _kill_group(process.pid)  # helpers (renderers, zygote) that outlived the browser


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _last_line(log: Path) -> str:
    """The last thing Chromium wrote to stderr, for the error message."""
    try:
        lines = [line for line in log.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()]
    except OSError:
        return ""
    return f" ({lines[-1][:200]})" if lines else ""
