"""The CI templates in examples/, run as their runners would run them, day after day, against
simulated platforms: an impersonator alerts once, and the history outlives a failed job."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import yaml
from aiohttp import web

from tests.simulator import Simulator
from tests.test_ci import IMPERSONATOR, World, world

__all__ = ["world"]  # the fixture of simulated platforms, shared with test_ci

EXAMPLES = Path(__file__).parent.parent / "examples"


FAKE_GH = """#!{python}
import json, pathlib, sys
state = pathlib.Path({state!r})
issues = json.loads(state.read_text()) if state.exists() else []
with open({log!r}, "a") as log:
    log.write(json.dumps(sys.argv[1:]) + "\\n")
args = sys.argv[1:]
if args[:2] == ["issue", "list"]:
    if issues:
        print(issues[0])
elif args[:2] == ["issue", "create"]:
    issues.append(len(issues) + 1)
    state.write_text(json.dumps(issues))
    print("https://github.example/acme/brand/issues/%d" % issues[-1])
"""


class Runner:
    """Runs a GitHub workflow's job the way the runner does, on this machine: each `run:` step as
    `bash -eo pipefail`, `if:` conditions (with success() implied), `steps.ID.outputs`, and the
    cache actions as a folder that outlives the workspace. The install step is skipped: the
    venv's own handlecheck is on PATH, with a fake `gh` before it that records its calls."""

    def __init__(
        self, tmp_path: Path, run_id: int, secrets: dict[str, str], matrix: dict[str, str] | None = None
    ) -> None:
        self.tmp, self.run_id, self.secrets, self.matrix = tmp_path, run_id, secrets, matrix or {}
        self.outputs: dict[str, dict[str, str]] = {}
        self.failed = False

    def expand(self, text: str) -> str:
        def value(match: re.Match[str]) -> str:
            expr = match.group(1).strip()
            if found := re.fullmatch(r"steps\.(\w+)\.outputs\.(\w+)", expr):
                return self.outputs.get(found[1], {}).get(found[2], "")
            if found := re.fullmatch(r"secrets\.(\w+)", expr):
                return self.secrets.get(found[1], "")
            if found := re.fullmatch(r"matrix\.(\w+)", expr):
                return self.matrix[found[1]]
            return {"github.run_id": str(self.run_id), "github.run_attempt": "1", "github.token": "t"}[expr]

        return re.sub(r"\$\{\{(.*?)\}\}", value, text)

    def wanted(self, condition: str | None) -> bool:
        if condition == "always()":
            return True
        if self.failed:
            return False
        if condition is None:
            return True
        found = re.fullmatch(r"steps\.(\w+)\.outputs\.(\w+) (==|!=) '(\w*)'", condition)
        assert found, f"the runner here does not understand {condition!r}"
        actual = self.outputs.get(found[1], {}).get(found[2], "")
        return (actual == found[4]) == (found[3] == "==")

    def job(self, steps: list[dict[str, Any]], workspace: Path, caches: Path, env: dict[str, str]) -> list[str]:
        ran = []
        for step in steps:
            if not self.wanted(step.get("if")) or step.get("name") == "Install handlecheck":
                continue
            uses = step.get("uses", "")
            if uses.startswith("actions/cache/"):
                self.cache(uses, {k: self.expand(str(v)) for k, v in step["with"].items()}, workspace, caches)
            elif "run" in step:
                out = self.tmp / f"output-{self.run_id}"
                out.write_text("")
                step_env = {**env, "GITHUB_OUTPUT": str(out), "GITHUB_STEP_SUMMARY": str(workspace / "summary.md")}
                step_env.update({k: self.expand(str(v)) for k, v in step.get("env", {}).items()})
                script = self.expand(step["run"])
                done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
                                      cwd=workspace, env=step_env, timeout=120)  # fmt: skip
                pairs = (line.split("=", 1) for line in out.read_text().splitlines())
                self.outputs[step.get("id", "")] = dict(pairs)
                self.failed |= done.returncode != 0
            ran.append(step.get("name", uses))
        return ran

    @staticmethod
    def cache(uses: str, options: dict[str, str], workspace: Path, caches: Path) -> None:
        folder = options["path"].rstrip("/")
        if uses.startswith("actions/cache/save"):
            assert not (caches / options["key"]).exists(), "a cache key is written once: it must be unique per run"
            shutil.copytree(workspace / folder, caches / options["key"] / folder)
            return
        saved = sorted(caches.iterdir(), key=lambda p: p.stat().st_mtime_ns) if caches.exists() else []
        hits = [p for p in saved if p.name == options["key"]] or [
            p for p in saved if p.name.startswith(options["restore-keys"])
        ]
        if hits:
            shutil.copytree(hits[-1] / folder, workspace / folder)


def ci_day(tmp_path: Path, platforms: Path, day: int) -> tuple[Path, dict[str, str]]:
    """A fresh checkout of the brand's repository (its handlecheck.yaml) and the job's environment."""
    workspace = tmp_path / f"day{day}"
    workspace.mkdir()
    (workspace / "handlecheck.yaml").write_text(f"brand: acme\ndepth: quick\nplatforms: {{file: {platforms}}}\n")
    fake = tmp_path / "fakebin"
    if not fake.exists():
        fake.mkdir()
        gh = fake / "gh"
        gh.write_text(FAKE_GH.format(python=sys.executable, state=str(tmp_path / "issues.json"),
                                     log=str(tmp_path / "gh.log")))  # fmt: skip
        gh.chmod(0o755)
    path = os.pathsep.join([str(fake), str(Path(sys.executable).parent), os.environ["PATH"]])
    return workspace, {**os.environ, "PATH": path}


async def webhook(sim: Simulator) -> tuple[str, list[Any]]:
    """A Slack-style incoming webhook on loopback, and the messages it received."""
    received: list[Any] = []

    async def record(request: web.Request) -> web.Response:
        received.append(json.loads(await request.read()))
        return web.Response(text="ok")

    return (await sim.site(record)).base, received


def evidence_of(workspace: Path) -> list[Path]:
    return sorted((workspace / "evidence").rglob("*.warc.gz"))


async def test_github_workflow_alerts_once_and_keeps_the_history_of_a_failed_run(
    world: tuple[World, Path], tmp_path: Path, sim: Simulator
):
    state, platforms = world
    base, received = await webhook(sim)
    secrets = {"SLACK_WEBHOOK_URL": f"slack+{base}/services/T0/B0/x"}
    steps = yaml.safe_load((EXAMPLES / "github-actions.yml").read_text())["jobs"]["scan"]["steps"]
    caches, log = tmp_path / "caches", tmp_path / "gh.log"
    seen = 0
    # day 0 clean; day 1 an impersonator appears; day 2 the same world; day 3 another on beta
    for day, alert in enumerate(([], ["create"], [], ["comment", "1"])):
        if day == 1:
            state.accounts["alpha"]["acme_support"] = IMPERSONATOR
        if day == 3:
            state.accounts["beta"]["acme_support"] = IMPERSONATOR
        workspace, env = ci_day(tmp_path, platforms, day)
        runner = Runner(tmp_path, run_id=100 + day, secrets=secrets)
        before = len(received)
        ran = await asyncio.to_thread(runner.job, steps, workspace, caches, env)
        calls = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
        today, seen = calls[seen:], len(calls)
        assert runner.outputs["scan"]["code"] == ("1" if alert else "0"), (day, runner.outputs)
        assert runner.failed is bool(alert), "the scan's exit code fails the job, after the reports and cache"
        assert "Save the scan history" in ran, "the history is cached whether the job failed or not"
        assert [c[1:1 + len(alert)] for c in today if c[:1] == ["issue"] and c[1] != "list"] == (
            [alert] if alert else []
        ), (day, today)  # fmt: skip
        assert json.loads((workspace / "report.json").read_text())["brand"] == "acme"
        assert ElementTree.parse(workspace / "handlecheck.xml").getroot().tag == "testsuites"
        assert ("acme_support" in (workspace / "summary.md").read_text()) is (day > 0)
        messages = received[before:]
        assert len(messages) == (1 if alert else 0), (day, messages)
        assert all("acme_support" in json.dumps(m["blocks"]) for m in messages)
        assert bool(evidence_of(workspace)) is (day > 0), "the impersonator's page is archived for the upload"
    assert sum(c[:2] == ["issue", "create"] for c in calls) == 1, "one issue in four days"


def gitlab_job(job: dict[str, Any], workspace: Path, cache: Path, env: dict[str, str]) -> int:
    """The job's script as GitLab's runner runs it (bash, stopping at the first failing command),
    without its install commands, and its cache saved as `cache.when` says (on_success by default)."""
    folder = job["cache"]["paths"][0].rstrip("/")
    if cache.exists():
        shutil.copytree(cache, workspace / folder)
    lines = [line for line in job["script"] if not line.startswith(("apt-get", "pip install"))]
    done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", "\n".join(lines)],
                          cwd=workspace, env=env, timeout=120)  # fmt: skip
    if done.returncode == 0 or job["cache"].get("when") == "always":
        shutil.rmtree(cache, ignore_errors=True)
        shutil.copytree(workspace / folder, cache)
    return done.returncode


async def test_gitlab_job_fails_once_for_an_impersonator_and_keeps_the_history(
    world: tuple[World, Path], tmp_path: Path, sim: Simulator
):
    state, platforms = world
    base, received = await webhook(sim)
    job = yaml.safe_load((EXAMPLES / "gitlab-ci.yml").read_text())["handlecheck"]
    codes, sent = [], []
    for day in (0, 1, 2):  # clean; an impersonator appears; the same world the next day
        if day == 1:
            state.accounts["alpha"]["acme_support"] = IMPERSONATOR
        workspace, env = ci_day(tmp_path, platforms, day)
        env["HANDLECHECK_NOTIFY_URL"] = f"{base}/hook"  # a masked CI/CD variable
        before = len(received)
        codes.append(await asyncio.to_thread(gitlab_job, job, workspace, tmp_path / "cache", env))
        sent.append(len(received) - before)
        kept = [name for name in job["artifacts"]["paths"] if name != "evidence/"]
        assert all((workspace / name).exists() for name in kept)
        assert bool(evidence_of(workspace)) is (day > 0)
        assert ElementTree.parse(workspace / job["artifacts"]["reports"]["junit"]).getroot().tag == "testsuites"
        assert ("acme_support" in (workspace / "report.md").read_text()) is (day > 0)
    assert codes == [0, 1, 0], "one failed pipeline, not one a day"
    assert sent == [0, 1, 0], "one message, on the day the impersonator appeared"


AGENCY = ("acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "tyrell")


def agency_day(tmp_path: Path, platforms: Path, day: int) -> tuple[Path, dict[str, str]]:
    """An agency's checkout: its brand list, no config."""
    workspace, env = ci_day(tmp_path, platforms, day)
    (workspace / "handlecheck.yaml").unlink()
    (workspace / "brands.csv").write_text("brand\n" + "\n".join(AGENCY) + "\n", encoding="utf-8")
    return workspace, env


def on_simulated(command: str, platforms: Path) -> str:
    """A template's scan pointed at the simulated platforms (a brand list names none: the
    bundled catalogue, the real sites, would be asked)."""
    assert command.count("handlecheck scan --input brands.csv") == 1
    return command.replace("handlecheck scan --input", f"handlecheck scan --platforms {platforms} --input")


async def test_the_matrix_templates_cover_the_brand_list_once(world: tuple[World, Path], tmp_path: Path):
    state, platforms = world
    state.accounts["alpha"]["acme_support"] = IMPERSONATOR
    steps = yaml.safe_load((EXAMPLES / "github-actions-matrix.yml").read_text())["jobs"]["scan"]
    shards = steps["strategy"]["matrix"]["shard"]
    for step in steps["steps"]:
        if step.get("id") == "scan":
            step["run"] = on_simulated(step["run"], platforms)
    job = yaml.safe_load((EXAMPLES / "gitlab-ci-parallel.yml").read_text())["handlecheck"]
    job["script"] = [on_simulated(line, platforms) if "handlecheck scan" in line else line for line in job["script"]]
    github: list[str] = []
    gitlab: list[str] = []
    failed = []
    for shard in shards:
        workspace, env = agency_day(tmp_path, platforms, 10 + shard)
        runner = Runner(tmp_path, run_id=200 + shard, secrets={}, matrix={"shard": str(shard)})
        await asyncio.to_thread(runner.job, steps["steps"], workspace, tmp_path / "caches", env)
        github += [json_brand(p) for p in (workspace / "reports").glob("*.md")]
        failed.append(runner.failed)
        workspace, env = agency_day(tmp_path, platforms, 20 + shard)
        env = {**env, "CI_NODE_INDEX": str(shard), "CI_NODE_TOTAL": str(job["parallel"])}
        await asyncio.to_thread(gitlab_job, job, workspace, tmp_path / f"cache{shard}", env)
        gitlab += [json_brand(p) for p in (workspace / "reports").glob("*.md")]
    assert len(shards) == job["parallel"] == 4
    assert sorted(github) == sorted(gitlab) == sorted(AGENCY), "each brand in exactly one job"
    assert sum(failed) == 1, "only the job holding acme fails"


def json_brand(report: Path) -> str:
    """The brand a markdown report is about (its title)."""
    return report.read_text().splitlines()[0].removeprefix("# handlecheck: ")
