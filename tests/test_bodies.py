"""Response bodies (net/bodies.py): a body in a content coding the client did not ask for is an
unexpected response, named in the evidence, and not asked for again."""

from __future__ import annotations

import gzip
import os

import pytest
from aiohttp import web

from handlecheck import HttpOptions, Reason, Verdict
from tests import simulator as behave
from tests.conftest import PlatformFile, profile_entry
from tests.simulator import Simulator
from tests.test_engine import run


def encoded(coding: str, body: bytes) -> behave.Handler:
    async def handle(request: web.Request) -> web.Response:
        return web.Response(body=body, headers={"Content-Encoding": coding, "Content-Type": "text/html"})

    return handle


@pytest.mark.parametrize("coding", ["br", "zstd", "compress", "gzip, br"])
async def test_a_body_in_a_coding_not_asked_for_is_unexpected_and_asked_once(
    sim: Simulator, platform_file: PlatformFile, coding: str
) -> None:
    site = await sim.site(encoded(coding, b"\x1b\x0b\x00\xf8" + os.urandom(64)))
    options = HttpOptions(retries=2, backoff=0.01)
    result = (await run(platform_file(profile_entry("coded", site.base)), ["acme"], options))["acme", "coded"]
    assert (result.verdict, result.reason) == (Verdict.UNKNOWN, Reason.UNEXPECTED_RESPONSE), result
    assert f"Content-Encoding {coding!r}" in result.evidence
    assert site.requests == 1, "the same bytes would come back: no retry"


async def test_a_gzip_body_is_read_and_a_corrupt_one_is_not_retried(sim: Simulator, platform_file: PlatformFile):
    good = await sim.site(encoded("gzip", gzip.compress(b"<html>@acme</html>")))
    corrupt = await sim.site(encoded("gzip", b"\x1f\x8b\x08\x00" + b"\xff" * 64))
    options = HttpOptions(retries=2, backoff=0.01)
    path = platform_file(profile_entry("good", good.base), profile_entry("corrupt", corrupt.base))
    results = await run(path, ["acme"], options)
    assert results["acme", "good"].verdict is Verdict.TAKEN
    broken = results["acme", "corrupt"]
    assert (broken.verdict, broken.reason) == (Verdict.UNKNOWN, Reason.UNEXPECTED_RESPONSE), broken
    assert "Content-Encoding 'gzip'" in broken.evidence
    assert corrupt.requests == 1
