"""The command line, end to end against simulated platforms."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from handlecheck.cli import main
from handlecheck.errors import InputError
from handlecheck.net.http import HttpOptions
from tests import simulator as behave
from tests.conftest import PlatformFile, profile_entry
from tests.simulator import Simulator

FAST = ["--timeout", "2", "--retries", "0", "--no-progress"]


async def cli(*argv: str) -> int:
    """Run the CLI in a worker thread: it starts its own event loop, the servers run in ours."""
    return await asyncio.to_thread(main, list(argv))


@pytest.fixture
async def two_sites(sim: Simulator, platform_file: PlatformFile) -> Path:
    first = await sim.site(behave.profiles({"acme"}))
    second = await sim.site(behave.profiles({"acmehq"}))
    return platform_file(
        profile_entry("first", first.base, extra="tags: [social]"),
        profile_entry("second", second.base, extra="tags: [developer]"),
    )


async def test_table_is_grouped_by_verdict_with_url_and_evidence(two_sites: Path, capsys):
    assert await cli("check", "acme", "--platforms", str(two_sites), *FAST) == 0
    out = capsys.readouterr().out
    assert out.index("TAKEN (1)") < out.index("AVAILABLE (1)")
    assert "/acme" in out and "status 200" in out
    assert "2 checks (1 handle x 2 platforms): 1 taken, 1 available" in out


async def test_json_has_results_and_summary(two_sites: Path, capsys):
    assert await cli("check", "acme", "acmehq", "--platforms", str(two_sites), "--format", "json", *FAST) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["summary"]["total"] == 4
    assert document["summary"]["verdicts"]["taken"] == 2
    verdicts = {(r["handle"], r["platform"]): r["verdict"] for r in document["results"]}
    assert verdicts == {
        ("acme", "first"): "taken",
        ("acme", "second"): "available",
        ("acmehq", "first"): "available",
        ("acmehq", "second"): "taken",
    }


async def test_jsonl_has_one_object_per_pair_with_the_documented_fields(two_sites: Path, capsys):
    assert await cli("check", "acme", "--platforms", str(two_sites), "--format", "jsonl", *FAST) == 0
    lines = capsys.readouterr().out.splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == 2
    for record in records:
        assert {"handle", "platform", "verdict", "reason", "url", "http_status", "elapsed_ms", "evidence"} <= set(
            record
        )
        assert record["reason"] is None


async def test_csv_to_a_file(two_sites: Path, tmp_path: Path, capsys):
    out = tmp_path / "report.csv"
    assert await cli("check", "acme", "--platforms", str(two_sites), "--format", "csv", "-o", str(out), *FAST) == 0
    assert capsys.readouterr().out == ""
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert sorted((r["platform"], r["verdict"]) for r in rows) == [("first", "taken"), ("second", "available")]


@pytest.mark.parametrize(
    ("selection", "expected"),
    [(["--only", "second"], {"second"}), (["--tags", "social"], {"first"}), (["--exclude", "first"], {"second"})],
)
async def test_platform_selection(two_sites: Path, capsys, selection: list[str], expected: set[str]):
    assert await cli("check", "acme", "--platforms", str(two_sites), "--format", "jsonl", *selection, *FAST) == 0
    assert {json.loads(line)["platform"] for line in capsys.readouterr().out.splitlines()} == expected


async def test_malformed_platform_file_exits_2_with_one_line(tmp_path: Path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nplatforms:\n  - id: broken\n    name: Broken\n    checks: nope\n")
    assert await cli("check", "acme", "--platforms", str(bad)) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "bad.yaml:5:" in err and "(id: broken)" in err and "checks" in err


@pytest.mark.parametrize("handle", ["a b", "acme\r\nHost: evil", "x" * 300, ""])
async def test_impossible_handle_exits_2(two_sites: Path, capsys, handle: str):
    assert await cli("check", handle, "--platforms", str(two_sites), *FAST) == 2
    err = capsys.readouterr().err
    assert err.startswith("handlecheck: error: handle") and err.count("\n") == 1


async def test_unknown_platform_id_exits_2(two_sites: Path, capsys):
    assert await cli("check", "acme", "--platforms", str(two_sites), "--only", "nowhere") == 2
    assert "unknown platform id 'nowhere'" in capsys.readouterr().err


async def test_nothing_reachable_says_so_in_one_line_and_exits_3(platform_file: PlatformFile, capsys):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    path = platform_file(
        profile_entry("dead1", f"http://127.0.0.1:{port}"), profile_entry("dead2", f"http://127.0.0.1:{port}/x")
    )
    assert await cli("check", "acme", "--platforms", str(path), *FAST) == 3
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and "no platform could be reached (2 network; cannot connect: " in captured.err


async def test_dead_proxy_exits_3(two_sites: Path, capsys):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert await cli("check", "acme", "--platforms", str(two_sites), "--proxy", f"http://127.0.0.1:{port}", *FAST) == 3
    assert "no platform could be reached" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("proxy", "says"),
    [
        ("notaurl", "starts with http:// or https://"),
        ("socks5://127.0.0.1:1080", "starts with http:// or https://"),
        ("http://", "names no host"),
        ("http://127.0.0.1:99999", "not a usable URL"),
    ],
)
async def test_an_unusable_proxy_exits_2_before_asking_anything(two_sites: Path, capsys, proxy: str, says: str):
    assert await cli("check", "acme", "--platforms", str(two_sites), "--proxy", proxy, *FAST) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1 and says in captured.err
    with pytest.raises(InputError, match=says):
        HttpOptions(proxy=proxy)


async def test_platforms_list_and_validate(two_sites: Path, capsys):
    assert await cli("platforms", "list", "--platforms", str(two_sites), "--format", "json") == 0
    assert [p["id"] for p in json.loads(capsys.readouterr().out)] == ["first", "second"]
    assert await cli("platforms", "validate", str(two_sites)) == 0
    assert "2 platforms, no errors" in capsys.readouterr().out


def test_bundled_platforms_list(capsys):
    assert main(["platforms", "list"]) == 0
    out = capsys.readouterr().out
    assert "github" in out and "platforms" in out.splitlines()[-1]


def test_module_entry_point_help_and_errors_without_traceback(tmp_path: Path):
    help_run = subprocess.run([sys.executable, "-m", "handlecheck", "check", "--help"], capture_output=True, text=True)
    assert help_run.returncode == 0 and "--format" in help_run.stdout and "Examples:" in help_run.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nplatforms: [{id: x}]\n")
    run = subprocess.run(
        [sys.executable, "-m", "handlecheck", "check", "acme", "--platforms", str(bad)], capture_output=True, text=True
    )
    assert run.returncode == 2
    assert "Traceback" not in run.stderr and run.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (
            ["scan", "acme", "--max-age", "nan"],
            "handlecheck scan: error: argument --max-age: 'nan' is not a number of hours",
        ),
        (["scan", "acme", "--max-age", "inf"], "'inf' must be between 0 and 87840 hours"),
        (["scan", "acme", "--max-age", "-5"], "'-5' must be between 0 and 87840 hours"),
        (["check", "acme", "--timeout", "1e12"], "'1e12' must be between 0 and 86400 seconds"),
        (["check", "-acme"], "as in: handlecheck check -- -acme"),
        (["frob"], "invalid choice: 'frob'"),
        ([], "required: COMMAND (see handlecheck --help)"),
        (["-v"], "required: COMMAND (see handlecheck --help)"),
        (["--bogus"], "handlecheck: error: unrecognized arguments: --bogus (see"),
        (["--bogus=3", "-v"], "unrecognized arguments: --bogus=3 (see"),
        (["platforms", "--bogus"], "handlecheck platforms: error: unrecognized arguments: --bogus (see"),
        (["platforms"], "required: ACTION (see handlecheck platforms --help)"),
    ],
)
def test_an_argument_error_is_one_line_naming_where_help_is(argv: list[str], says: str, capsys):
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and says in err and " --help" in err


async def test_ctrl_c_keeps_what_was_gathered_and_exits_130(sim: Simulator, platform_file: PlatformFile, tmp_path):
    quick = await sim.site(behave.profiles({"acme"}))
    stuck = await sim.site(behave.slow(30))
    path = platform_file(profile_entry("quick", quick.base), profile_entry("stuck", stuck.base))
    out = tmp_path / "partial.jsonl"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "handlecheck", "check", "acme", "--platforms", str(path),
        "--format", "jsonl", "-o", str(out), "--timeout", "60", "--no-progress",
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    for _ in range(200):  # the results stream into a temporary file, renamed over `out` at the end
        if any(part.read_text().count("\n") == 1 for part in tmp_path.glob(".partial.jsonl.*.part")):
            break
        await asyncio.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=20)
    assert process.returncode == 130
    assert [json.loads(line)["platform"] for line in out.read_text().splitlines()] == ["quick"]
    assert b"Traceback" not in stderr and b"interrupted after 1 of 2 checks" in stderr


SHERLOCK_EXCERPT = {
    "Alpha": {"errorType": "status_code", "url": "https://alpha.test/{}", "urlMain": "https://alpha.test/",
              "username_claimed": "blue"},
    "Beta": {"errorType": "message", "errorMsg": "No such user", "url": "https://beta.test/u/{}",
             "urlMain": "https://beta.test/", "username_claimed": "blue"},
    "Spicy": {"errorType": "status_code", "isNSFW": True, "url": "https://spicy.test/{}", "urlMain": "x",
              "username_claimed": "blue"},
    "Broken": {"errorType": "status_code", "url": 42},
}  # fmt: skip


async def test_import_converts_and_the_result_validates(tmp_path: Path, capsys):
    source = tmp_path / "data.json"
    source.write_text(json.dumps(SHERLOCK_EXCERPT))
    out = tmp_path / "sherlock.yaml"
    assert await cli("platforms", "import", str(source), "-o", str(out)) == 0
    err = capsys.readouterr().err
    assert "2 platforms converted, 2 left out" in err
    assert "left out Spicy: NSFW" in err and "left out Broken: url is not a string" in err
    assert out.read_text().startswith("# Converted by handlecheck from data.json (sherlock format).")
    assert "&id" not in out.read_text()
    assert await cli("platforms", "validate", str(out)) == 0
    assert "2 platforms, no errors" in capsys.readouterr().out
    assert await cli("platforms", "import", str(source), "--nsfw") == 0
    assert "id: spicy" in capsys.readouterr().out


async def test_validate_reports_every_error_with_line_and_path(tmp_path: Path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "version: 1\nplatforms:\n"
        "  - id: one\n    name: One\n    checks: [{request: {url: 'ftp://x/{{handle}}'}, outcomes: []}]\n"
        "  - id: two\n    name: Two\n    urls: {profile: 'https://two.test/'}\n"
        "    checks: [{request: {url: 'https://two.test/{{handle}}'},"
        " outcomes: [{verdict: taken, matchers: [{type: regex, regex: ['(']}]}]}]\n"
        "  - id: one\n    name: Again\n    checks: [{request: {url: 'https://x.test/{{handle}}'},"
        " outcomes: [{verdict: taken, matchers: [{type: status, status: [200]}]}]}]\n"
    )
    assert await cli("platforms", "validate", str(bad)) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 6, err  # every error, in one pass
    assert err[0].startswith(f"handlecheck: error: {bad}:5: platforms[0] (id: one).checks[0].request.url")
    assert err[1].endswith("platforms[0] (id: one).checks[0].outcomes: [] should be non-empty")
    assert f"{bad}:8: platforms[1] (id: two).urls.profile: profile URL has no {{{{handle}}}}" in err[2]
    assert f"{bad}:9: platforms[1] (id: two).checks[0].outcomes[0].matchers[0].regex: bad regular expression" in err[3]
    assert "platforms[2] (id: one).id: duplicate id 'one'" in err[4]
    assert err[5].endswith("5 errors, 0 platforms without errors")


async def test_validate_a_community_database_lists_what_is_left_out(tmp_path: Path, capsys):
    source = tmp_path / "data.json"
    source.write_text(json.dumps(SHERLOCK_EXCERPT))
    assert await cli("platforms", "validate", str(source)) == 0
    out = capsys.readouterr().out
    assert "sherlock database: 2 platforms import, 2 left out" in out and "Broken: url is not a string" in out


async def test_add_platforms_merges_and_first_definition_wins(two_sites: Path, tmp_path: Path, capsys):
    extra = tmp_path / "extra.json"
    extra.write_text(json.dumps({
        "First": {"errorType": "status_code", "url": "https://elsewhere.test/{}", "urlMain": "x"},
        "Gamma": {"errorType": "status_code", "url": "https://gamma.test/{}", "urlMain": "x"},
    }))  # fmt: skip
    argv = ["platforms", "list", "--platforms", str(two_sites), "--add-platforms", str(extra), "--format", "json"]
    assert await cli(*argv) == 0
    captured = capsys.readouterr()
    listed = {p["id"]: p for p in json.loads(captured.out)}
    assert set(listed) == {"first", "second", "gamma"}
    assert "127.0.0.1" in listed["first"]["profile"], "the first definition of 'first' is kept"
    assert "1 platform entries left out" in captured.err
