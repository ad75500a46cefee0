"""Finding lookalike accounts on simulated platforms: planted accounts are found and classified."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp import web

from handlecheck import HttpOptions
from handlecheck.cli import main
from handlecheck.domain import Classification, Depth, Owned
from handlecheck.models import Extractor, ExtractorType, HttpResponse
from handlecheck.pipeline.hunt import candidate_pairs, hunt
from handlecheck.registry import load_platforms
from handlecheck.rules import read_profile
from tests.conftest import PlatformFile
from tests.simulator import Simulator

PLANTED = {
    "acme_support": {"name": "ACME", "bio": "Official ACME support. DM us your order number, we reply 24/7"},
    "acmeparody": {"name": "ACME Parody", "bio": "Parody account. Not affiliated with ACME."},
    "acmefans": {"name": "ACME Fans", "bio": "Fan account for everything ACME"},
    "acne": {"name": "Acne Clinic", "bio": "Dermatology tips every day"},
    "acmehq": {"name": "ACME", "bio": "The official ACME account"},
}

SOCIAL = """
- id: social
  name: Social
  priority: critical
  handle: {pattern: "^[a-z0-9_]{3,20}$$"}
  urls: {profile: "$base/@{{handle}}"}
  profile:
    request: {url: "$base/api/users/{{handle}}"}
    fields:
      display_name: {type: json, path: name}
      bio: {type: json, path: bio}
      followers: {type: json, path: followers}
  checks:
    - request: {url: "$base/api/users/{{handle}}"}
      outcomes:
        - verdict: taken
          matchers-condition: and
          matchers: [{type: status, status: [200]}, {type: json, path: name, exists: true}]
        - verdict: available
          matchers: [{type: status, status: [404]}]
"""


def social_site() -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        name = request.path.rsplit("/", 1)[-1]
        if name in PLANTED:
            return web.json_response({**PLANTED[name], "followers": 1200})
        return web.json_response({"error": "not found"}, status=404)

    return handle


@pytest.fixture
async def social(sim: Simulator, platform_file: PlatformFile) -> Path:
    site = await sim.site(social_site())
    return platform_file(SOCIAL, base=site.base)


async def test_planted_accounts_are_found_and_classified(social: Path):
    platforms = load_platforms(social)
    report = await hunt(
        "ACME", platforms, depth=Depth.DEEP, owned=[Owned.parse("social:acmehq")], options=HttpOptions(concurrency=16)
    )
    found = {f.handle: f for f in report.findings}
    assert set(found) == {"acme_support", "acmeparody", "acmefans", "acne"}
    assert found["acme_support"].classification is Classification.IMPERSONATOR
    assert found["acmeparody"].classification is Classification.PARODY
    assert found["acmefans"].classification is Classification.FAN
    assert found["acne"].classification is Classification.UNRELATED
    assert report.findings[0].handle == "acme_support", "the impersonator has the highest risk"
    assert found["acme_support"].risk >= 80 and found["acne"].risk < 20
    assert found["acme_support"].profile is not None and found["acme_support"].profile.followers == 1200
    assert "claims to be customer support ('support') (+15)" in found["acme_support"].reasons
    assert report.owned_seen == 1, "the brand's own account was seen, and not flagged"
    assert len(report.results) == len(candidate_pairs("ACME", platforms, Depth.DEEP))


def test_depth_limits_the_plan(tmp_path: Path):
    path = tmp_path / "p.yaml"
    entries = "".join(
        f"""
  - id: {pid}
    name: {pid}
    priority: {priority}
    handle: {{pattern: "^[a-z0-9_]{{3,20}}$"}}
    checks:
      - request: {{url: "http://127.0.0.1:9/{{{{handle}}}}"}}
        outcomes: [{{verdict: taken, matchers: [{{type: status, status: [200]}}]}}]"""
        for pid, priority in (("big", "critical"), ("mid", "normal"), ("tiny", "low"))
    )
    path.write_text("version: 1\nplatforms:" + entries + "\n")
    platforms = load_platforms(path)
    quick = candidate_pairs("acme", platforms, Depth.QUICK)
    standard = candidate_pairs("acme", platforms, Depth.STANDARD)
    deep = candidate_pairs("acme", platforms, Depth.DEEP)
    assert {p.id for _, p in quick} == {"big"} and len(quick) == 30
    assert {p.id for _, p in standard} == {"big", "mid"} and len(standard) == 200
    assert {p.id for _, p in deep} == {"big", "mid", "tiny"} and len(deep) > len(standard)


async def test_lookalikes_cli_check_json(social: Path, capsys):
    argv = ["lookalikes", "acme", "--check", "--depth", "deep", "--platforms", str(social), "--owned", "social:acmehq",
            "--format", "json", "--no-progress", "--timeout", "2"]  # fmt: skip
    assert await asyncio.to_thread(main, argv) == 0
    document = json.loads(capsys.readouterr().out)
    classes = {f["handle"]: f["classification"] for f in document["findings"]}
    assert classes == {"acme_support": "impersonator", "acmeparody": "parody", "acmefans": "fan", "acne": "unrelated"}
    assert document["findings"][0]["profile"]["display_name"] == "ACME"


async def test_lookalikes_cli_lists_candidates(tmp_path: Path, capsys):
    affixes = tmp_path / "affixes.txt"
    affixes.write_text("# ours\nrewards\nvip\n")
    argv = ["lookalikes", "acme", "--techniques", "affix", "--affixes", str(affixes), "--format", "jsonl"]
    assert await asyncio.to_thread(main, argv) == 0
    handles = {json.loads(line)["handle"] for line in capsys.readouterr().out.splitlines()}
    assert {"acmerewards", "vip_acme", "acme.vip"} <= handles and not any("support" in h for h in handles)
    assert await asyncio.to_thread(main, ["lookalikes", "acme", "--techniques", "telepathy"]) == 2
    assert "unknown technique 'telepathy'" in capsys.readouterr().err


def test_profile_from_meta_tags():
    page = (
        '<html><head><meta property="og:title" content="ACME &amp; Co (@acme)">'
        "<meta content='We sell anvils. 12.5K followers' name='description'>"
        '<meta property="og:image" content="https://cdn.test/a.png"></head></html>'
    )
    fields = (
        Extractor(ExtractorType.META, "display_name", key="og:title"),
        Extractor(ExtractorType.META, "bio", key="description"),
        Extractor(ExtractorType.META, "avatar", key="og:image"),
        Extractor(ExtractorType.REGEX, "followers", regex=r"([\d.,]+K?) followers"),
    )
    profile = read_profile(fields, HttpResponse(200, "https://x.test/acme", (), page.encode()))
    assert profile.display_name == "ACME & Co (@acme)"
    assert profile.bio == "We sell anvils. 12.5K followers" and profile.followers == 12500
    assert profile.avatar == "https://cdn.test/a.png"
    html_bio = (Extractor(ExtractorType.JSON, "bio", path="note"),)
    note = b'{"note": "<p>Official <a href=\\"https://acme.test\\">ACME</a> support &amp; help</p>"}'
    assert read_profile(html_bio, HttpResponse(200, "https://x.test", (), note)).bio == "Official  ACME  support & help"
