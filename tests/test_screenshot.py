"""Full-page screenshots with the real Chromium (evidence/screenshot.py), of pages served on loopback."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import struct
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiohttp import web

from handlecheck.evidence.screenshot import Browser, ScreenshotError, find_browser

BROWSER = find_browser()
pytestmark = pytest.mark.skipif(BROWSER is None, reason="no Chromium or Chrome installed (or HANDLECHECK_CHROMIUM)")

# Every host name fails to resolve, so the browser can reach nothing but loopback.
LOOPBACK_ONLY = ["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]
COLOURS = ("crimson", "gold", "seagreen", "steelblue")
TALL_PAGE = (
    "<!doctype html><html><body style='margin:0'>"
    + "".join(f"<div style='height:800px;background:{colour}'></div>" for colour in COLOURS)
    + "</body></html>"
)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which a PNG starts with."""
    assert data[:8] == PNG_SIGNATURE
    length, kind = struct.unpack(">I4s", data[8:16])
    assert (length, kind) == (13, b"IHDR")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@dataclass
class Site:
    base: str
    hanging: asyncio.Event = field(default_factory=asyncio.Event)  # a request for /hang has arrived


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    site = Site("")

    async def tall(request: web.Request) -> web.Response:
        response = web.Response(text=TALL_PAGE, content_type="text/html")
        response.set_cookie("session", "secret")
        return response

    async def short(request: web.Request) -> web.Response:
        return web.Response(text="<!doctype html><p>@acme</p>", content_type="text/html")

    async def hang(request: web.Request) -> web.StreamResponse:
        """A page that never finishes loading: a byte now and then, until the browser gives up."""
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        await response.prepare(request)
        await response.write(b"<!doctype html><p>loading")
        site.hanging.set()
        try:
            while True:
                await asyncio.sleep(0.1)
                await response.write(b" ")
        except (ConnectionError, RuntimeError):
            return response

    app = web.Application()
    app.router.add_get("/tall", tall)
    app.router.add_get("/short", short)
    app.router.add_get("/hang", hang)
    runner = web.AppRunner(app, shutdown_timeout=1.0)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    site.base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        yield site
    finally:
        await runner.cleanup()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    assert BROWSER is not None
    async with Browser(BROWSER, extra_args=LOOPBACK_ONLY) as started:
        yield started


def free_port() -> int:
    """A loopback port with nothing listening on it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def processes_using(profile: Path) -> list[int]:
    """Live processes whose command line names the profile folder (Chromium's helpers do)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if str(profile).encode() in cmdline:
                found.append(int(entry.name))
    return found


async def assert_gone(pid: int, profile: Path) -> None:
    """The browser was reaped (no zombie), its helpers are gone (no orphan), its profile deleted."""
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert not profile.exists()
    for _ in range(40):  # SIGKILLed helpers take a moment to die
        if not processes_using(profile):
            break
        await asyncio.sleep(0.05)
    assert processes_using(profile) == []


async def test_the_whole_page_not_the_viewport(browser: Browser, site: Site) -> None:
    width, height = png_size(await browser.screenshot(f"{site.base}/tall"))
    assert width == 1280
    assert height >= 3200


async def test_width_is_the_viewport_width(browser: Browser, site: Site) -> None:
    assert png_size(await browser.screenshot(f"{site.base}/tall", width=600))[0] == 600


async def test_max_height_caps_the_screenshot(browser: Browser, site: Site) -> None:
    assert png_size(await browser.screenshot(f"{site.base}/tall", max_height=1000)) == (1280, 1000)


async def test_screenshots_at_once_on_one_browser(browser: Browser, site: Site) -> None:
    urls = [f"{site.base}/tall", f"{site.base}/short", f"{site.base}/tall", f"{site.base}/short"]
    shots = await asyncio.gather(*(browser.screenshot(url) for url in urls))
    sizes = [png_size(shot) for shot in shots]
    assert sizes[0][1] >= 3200 and sizes[2][1] >= 3200
    assert sizes[1][0] == sizes[3][0] == 1280
    assert sizes[1][1] < 3200 and sizes[3][1] < 3200


async def test_refused_port_is_an_error_naming_the_url(browser: Browser) -> None:
    url = f"http://127.0.0.1:{free_port()}/profile/acme"
    started = time.monotonic()
    with pytest.raises(ScreenshotError) as caught:
        await browser.screenshot(url)
    assert time.monotonic() - started < 5
    assert url in str(caught.value)
    assert "ERR_CONNECTION_REFUSED" in str(caught.value)
    assert "\n" not in str(caught.value)


async def test_unresolvable_host_is_an_error(browser: Browser) -> None:
    with pytest.raises(ScreenshotError, match="ERR_NAME_NOT_RESOLVED"):
        await browser.screenshot("http://acme.invalid/")


async def test_page_that_never_loads_times_out(browser: Browser, site: Site) -> None:
    url = f"{site.base}/hang"
    started = time.monotonic()
    with pytest.raises(ScreenshotError) as caught:
        await browser.screenshot(url, timeout=1.5)
    assert 1.4 < time.monotonic() - started < 4
    assert url in str(caught.value)
    assert "1.5 s" in str(caught.value)
    # The tab was closed and the browser is fine for the next page.
    assert png_size(await browser.screenshot(f"{site.base}/short"))[0] == 1280


async def test_pages_go_through_the_proxy() -> None:
    """The proxy is a loopback server that answers for every host; the name is never resolved."""
    seen: list[str] = []

    async def proxied(request: web.Request) -> web.Response:
        seen.append(f"{request.host}{request.path}")
        return web.Response(text=TALL_PAGE, content_type="text/html")

    app = web.Application()
    app.router.add_get("/{tail:.*}", proxied)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    assert BROWSER is not None
    try:
        proxy = f"http://127.0.0.1:{runner.addresses[0][1]}"
        async with Browser(BROWSER, proxy=proxy, extra_args=LOOPBACK_ONLY) as browser:
            assert png_size(await browser.screenshot("http://acme.test/profile"))[1] >= 3200
    finally:
        await runner.cleanup()
    assert "acme.test/profile" in seen


async def test_exit_stops_chromium_and_deletes_the_profile(site: Site) -> None:
    assert BROWSER is not None
    async with Browser(BROWSER, extra_args=LOOPBACK_ONLY) as browser:
        await browser.screenshot(f"{site.base}/tall")  # it sets a cookie, which goes with the profile
        pid, profile = browser.pid, browser.profile_dir
        assert pid is not None and profile is not None
        assert profile.is_dir()
        assert processes_using(profile)
    await assert_gone(pid, profile)


async def test_cancelled_caller_leaves_no_process_or_profile(site: Site) -> None:
    assert BROWSER is not None
    browser = Browser(BROWSER, extra_args=LOOPBACK_ONLY)

    async def capture() -> bytes:
        async with browser:
            return await browser.screenshot(f"{site.base}/hang", timeout=60)

    task = asyncio.create_task(capture())
    await asyncio.wait_for(site.hanging.wait(), 20)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert browser.pid is not None and browser.profile_dir is not None
    await assert_gone(browser.pid, browser.profile_dir)


async def test_browser_that_dies_mid_way_is_an_error(site: Site) -> None:
    assert BROWSER is not None
    url = f"{site.base}/hang"
    async with Browser(BROWSER, extra_args=LOOPBACK_ONLY) as browser:
        shot = asyncio.create_task(browser.screenshot(url, timeout=60))
        await asyncio.wait_for(site.hanging.wait(), 20)
        assert browser.pid is not None
        os.kill(browser.pid, signal.SIGKILL)  # the Chromium this test started
        with pytest.raises(ScreenshotError) as caught:
            await asyncio.wait_for(shot, 10)
        assert url in str(caught.value)
        assert "exited or crashed" in str(caught.value)
    assert browser.profile_dir is not None
    await assert_gone(browser.pid, browser.profile_dir)


async def test_missing_executable_is_an_error(tmp_path: Path) -> None:
    missing = str(tmp_path / "no-such-chromium")
    browser = Browser(missing)
    with pytest.raises(ScreenshotError, match="No such file") as caught:
        async with browser:
            pass
    assert missing in str(caught.value)
    assert browser.profile_dir is not None and not browser.profile_dir.parent.exists()


async def test_executable_that_exits_is_an_error(tmp_path: Path) -> None:
    program = tmp_path / "fake-chromium"
    program.write_text("#!/bin/sh\necho 'cannot open display' >&2\nexit 3\n")
    program.chmod(0o755)
    with pytest.raises(ScreenshotError, match=r"exited with status 3 \(cannot open display\)"):
        async with Browser(str(program)):
            pass


async def test_no_port_within_the_launch_timeout(tmp_path: Path) -> None:
    program = tmp_path / "silent-chromium"
    program.write_text("#!/bin/sh\nexec sleep 30\n")
    program.chmod(0o755)
    browser = Browser(str(program), launch_timeout=0.5)
    started = time.monotonic()
    with pytest.raises(ScreenshotError, match=r"no DevTools port within 0\.5 s"):
        async with browser:
            pass
    assert time.monotonic() - started < 4
    assert browser.pid is not None and browser.profile_dir is not None
    await assert_gone(browser.pid, browser.profile_dir)


def test_find_browser(tmp_path: Path) -> None:
    assert find_browser({"HANDLECHECK_CHROMIUM": "/opt/chrome/chrome", "PATH": ""}) == "/opt/chrome/chrome"
    assert find_browser({"PATH": str(tmp_path)}) is None
    for name in ("google-chrome", "chromium-browser"):
        program = tmp_path / name
        program.write_text("#!/bin/sh\n")
        program.chmod(0o755)
    assert find_browser({"PATH": str(tmp_path)}) == str(tmp_path / "chromium-browser")
