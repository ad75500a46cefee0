"""Credentials: read from the environment variable a platform entry names, sent only in headers
and bodies, never followed through a redirect, never written to a report, a log or the history."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from aiohttp import web

from handlecheck import Reason, Verdict
from handlecheck.cli import main
from handlecheck.errors import ConfigError
from handlecheck.net.checker import Checker
from handlecheck.registry import load_platforms, parse_platforms
from tests.conftest import PlatformFile
from tests.simulator import Simulator, profiles

SECRET = "hc-test-7Qz9-do-not-leak-41f2"
ENV = "HC_TEST_BIRDSITE_BEARER"
HELD = {"acme", "acme_support", "acmeofficial", "acmesupport"}

API_ENTRY = """
- id: birdsite
  name: Birdsite
  priority: critical
  secrets: {bearer: $env}
  urls: {profile: "$api/{{handle}}"}
  profile:
    request: {url: "$api/2/users/by/username/{{handle}}", headers: {Authorization: "Bearer {{bearer}}"}}
    fields: {display_name: {type: json, path: data.name}, bio: {type: json, path: data.description}}
  checks:
    - name: api
      request: {url: "$api/2/users/by/username/{{handle}}", headers: {Authorization: "Bearer {{bearer}}"}}
      outcomes:
        - verdict: taken
          matchers: [{type: json, path: data.username, exists: true}]
        - verdict: available
          matchers: [{type: json, path: errors.0.title, equals: "Not Found Error"}]
    - name: profile page
      request: {url: "$pages/{{handle}}"}
      outcomes:
        - verdict: taken
          matchers-condition: and
          matchers: [{type: status, status: [200]}, {type: word, words: ["@{{handle}}"]}]
        - verdict: available
          matchers: [{type: status, status: [404]}]
"""


def birdsite_api(thief: str) -> web.RequestHandler:  # type: ignore[type-arg]
    """A JSON API that answers only with the right bearer token, and echoes it back in the
    profiles it serves (the worst a server could do with it). `acmehq` redirects elsewhere."""

    async def handle(request: web.Request) -> web.StreamResponse:
        if request.headers.get("Authorization") != f"Bearer {SECRET}":
            return web.json_response({"title": "Unauthorized"}, status=401)
        name = request.path.rsplit("/", 1)[-1]
        if name == "acmehq":
            return web.Response(status=302, headers={"Location": f"{thief}/collect"})
        if name in HELD:
            user = {"username": name, "name": f"ACME support {SECRET}", "description": f"token={SECRET}"}
            return web.json_response({"data": user})
        return web.json_response({"errors": [{"title": "Not Found Error", "detail": f"key {SECRET}"}]})

    return handle


@pytest.fixture
async def birdsite(sim: Simulator, platform_file: PlatformFile) -> tuple[Path, dict[str, object]]:
    thief = await sim.site(profiles(()))
    api = await sim.site(birdsite_api(thief.base))
    pages = await sim.site(profiles(HELD))
    path = platform_file(API_ENTRY, env=ENV, api=api.base, pages=pages.base)
    return path, {"api": api, "pages": pages, "thief": thief}


async def test_a_credential_reaches_the_api_and_nothing_else(birdsite, tmp_path: Path, capsys, monkeypatch):
    path, sites = birdsite
    monkeypatch.setenv(ENV, SECRET)
    db = tmp_path / "history.db"
    reports = tmp_path / "reports"
    reports.mkdir()
    for fmt in ("json", "markdown", "csv", "html", "junit", "table"):
        argv = ["--verbose", "scan", "Acme", "--platforms", str(path), "--db", str(db), "--no-progress",
                "--format", fmt, "-o", str(reports / f"scan.{fmt}")]  # fmt: skip
        await asyncio.to_thread(main, argv)
    check_argv = ["--verbose", "check", "acme", "acmehq", "zzfree", "--platforms", str(path), "--format", "json"]
    await asyncio.to_thread(main, check_argv)
    captured = capsys.readouterr()

    scan_json = (reports / "scan.json").read_text()
    assert '"verdict": "taken"' in scan_json, "the API answered: the credential was sent"
    assert "[secret]" in scan_json, "the echoed token was blanked out"
    assert sites["thief"].requests == 0, "a request that carries a credential follows no redirect"  # type: ignore[attr-defined]

    leaks = [f for f in tmp_path.rglob("*") if f.is_file() and SECRET.encode() in f.read_bytes()]
    assert leaks == [], f"credential written to {leaks}"
    assert SECRET not in captured.out and SECRET not in captured.err


async def test_a_missing_credential_is_an_unknown_that_names_the_variable_and_the_next_check_decides(birdsite):
    path, sites = birdsite
    platforms = load_platforms(path)
    async with Checker(environ={}) as checker:
        results = {r.handle: r async for r in checker.run(["acme", "zzfree"], platforms)}
    assert sites["api"].requests == 0, "nothing is sent without the credential"  # type: ignore[attr-defined]
    assert results["acme"].verdict is Verdict.TAKEN and results["zzfree"].verdict is Verdict.AVAILABLE

    only_api = parse_platforms(path.read_text().split("    - name: profile page")[0])
    async with Checker(environ={}) as checker:
        [result] = [r async for r in checker.run(["acme"], only_api)]
    assert result.verdict is Verdict.UNKNOWN and result.reason is Reason.MISSING_CREDENTIAL
    assert ENV in result.evidence


ENTRY_TEXT = "version: 1\nplatforms:\n" + "\n".join(
    "  " + line
    for line in API_ENTRY.replace("$env", ENV)
    .replace("$api", "https://api.example")
    .replace("$pages", "https://example")
    .strip()
    .splitlines()
)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('username/{{handle}}", headers', 'username/{{handle}}?key={{bearer}}", headers', "may not stand in a URL"),
        (f"secrets: {{bearer: {ENV}}}", f"secrets: {{bearer: {ENV}, handle: OTHER}}", "'handle' cannot name a secret"),
        ('words: ["@{{handle}}"]', 'words: ["@{{handle}} {{bearer}}"]', "unknown variable {{bearer}}"),
    ],
    ids=["in a URL", "named handle", "in a matcher"],
)
def test_a_credential_cannot_be_put_where_it_would_show(old: str, new: str, message: str):
    assert old in ENTRY_TEXT
    parse_platforms(ENTRY_TEXT, source="birdsite.yaml")
    with pytest.raises(ConfigError) as caught:
        parse_platforms(ENTRY_TEXT.replace(old, new, 1), source="birdsite.yaml")
    assert message in str(caught.value) and str(caught.value).startswith("birdsite.yaml:")


def test_platforms_list_names_the_variables_and_whether_they_are_set(birdsite, capsys, monkeypatch):
    path, _ = birdsite
    monkeypatch.delenv(ENV, raising=False)
    assert main(["platforms", "list", "--platforms", str(path)]) == 0
    assert f"{ENV} (not set)" in capsys.readouterr().out
    monkeypatch.setenv(ENV, SECRET)
    assert main(["platforms", "list", "--platforms", str(path), "--format", "json"]) == 0
    out = capsys.readouterr().out
    assert '"HC_TEST_BIRDSITE_BEARER": true' in out and SECRET not in out
