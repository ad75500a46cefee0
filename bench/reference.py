"""Reference tools for the benchmark: Sherlock and Maigret, run on the same simulated platforms as handlecheck.

Both live in their own virtual environment (bench/.venv-reference, never the project's .venv), made by
`ensure_venv`. A neutral site description (a list of dicts with the keys name, url, main, detect, absent_text,
present_text, absent_url, claimed, unclaimed) is turned into each tool's own site database, and each tool runs as a
subprocess with its default concurrency and timeouts, all usernames in one invocation; its machine-readable report
is read back into a `ToolRun`.

Network safety: each tool gets flags that keep it on the local database, and on top of that an environment whose
HTTP(S) proxy is a closed loopback port (so a request for any other host fails at once, with no DNS lookup) and a
`sitecustomize` audit hook that refuses, and logs to <workdir>/<tool>/network.log, any socket connect or name
lookup that is not for a loopback address. Sherlock 0.16 checks GitHub for a newer release on every start and has
no flag to stop it: that request is the one the proxy refuses.

Self-test (3 local sites, usernames acme and noonenothere7):

    .venv/bin/python bench/reference.py
"""

from __future__ import annotations

import csv
import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_VENV = ROOT / "bench" / ".venv-reference"

SHERLOCK_PIN = "sherlock-project==0.16.2"
SHERLOCK_FALLBACK = "sherlock-project>=0.16,<0.17"
MAIGRET_PIN = "maigret==0.6.6"
DISTRIBUTIONS = {"sherlock": "sherlock-project", "maigret": "maigret"}

DEAD_PROXY = "http://127.0.0.1:9"  # the discard port: nothing listens, so a proxied request is refused at once
LOOPBACK_NAMES = "127.0.0.1,localhost,::1"
RUN_LIMIT = 3600.0  # seconds; a hard stop for a tool that hangs, far above either tool's own request timeouts

SiteSpec = Mapping[str, Any]
SITE_KEYS = frozenset(
    {"name", "url", "main", "detect", "absent_text", "present_text", "absent_url", "claimed", "unclaimed"}
)


@dataclass(frozen=True)
class ToolRun:
    tool: str
    version: str
    wall_seconds: float
    found: dict[str, set[str]]  # username -> names of the sites the tool says the account exists on
    error: str | None


# --------------------------------------------------------------------------- the reference virtual environment


def _venv_python(path: Path) -> Path:
    return path / "bin" / "python"


def _installed_versions(python: Path) -> dict[str, str]:
    """Versions of the two tools in that interpreter's environment ('' for a missing one)."""
    probe = (
        "import importlib.metadata as m, json, sys\n"
        "out = {}\n"
        "for name in sys.argv[1:]:\n"
        "    try:\n"
        "        out[name] = m.version(name)\n"
        "    except m.PackageNotFoundError:\n"
        "        out[name] = ''\n"
        "print(json.dumps(out))\n"
    )
    if not python.exists():
        return {}
    done = subprocess.run(
        [str(python), "-c", probe, *DISTRIBUTIONS.values()], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        return {}
    return dict(json.loads(done.stdout))


def _pins_met(versions: Mapping[str, str]) -> bool:
    return versions.get("sherlock-project", "").startswith("0.16.") and versions.get("maigret") == "0.6.6"


def ensure_venv(path: Path = DEFAULT_VENV) -> Path:
    """Create the reference venv if missing and install the pinned tools; return the venv's path.

    Quick when already done: one interpreter start to read the installed versions.
    """
    path = Path(path)
    python = _venv_python(path)
    if _pins_met(_installed_versions(python)):
        return path
    if not python.exists():
        subprocess.run(["python3", "-m", "venv", str(path)], check=True)
    pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "--quiet"]
    # Sherlock 0.16.2 if the index has it, else the nearest 0.16.x.
    if subprocess.run([*pip, SHERLOCK_PIN, MAIGRET_PIN], check=False).returncode != 0:
        subprocess.run([*pip, SHERLOCK_FALLBACK, MAIGRET_PIN], check=True)
    versions = _installed_versions(python)
    if not _pins_met(versions):
        raise RuntimeError(f"reference venv {path} holds {versions}, not sherlock 0.16.x and maigret 0.6.6")
    _tool_versions.cache_clear()
    return path


@functools.lru_cache(maxsize=4)
def _tool_versions(venv: Path) -> dict[str, str]:
    return _installed_versions(_venv_python(venv))


# --------------------------------------------------------------------------- converters


def _checked(sites: Iterable[SiteSpec]) -> list[SiteSpec]:
    out = []
    for site in sites:
        missing = SITE_KEYS - set(site)
        if missing:
            raise ValueError(f"site {site.get('name')!r} lacks {sorted(missing)}")
        if site["detect"] not in ("status", "message", "redirect"):
            raise ValueError(f"site {site['name']!r}: unknown detect {site['detect']!r}")
        if "{}" not in site["url"]:
            raise ValueError(f"site {site['name']!r}: url has no {{}} for the username")
        out.append(site)
    return out


def sherlock_data(sites: Iterable[SiteSpec]) -> dict[str, dict[str, Any]]:
    """Sherlock's site data (the format of its resources/data.json, checked by its data.schema.json).

    Sherlock has no presence text: a "message" site needs absent_text. For "response_url" it never reads errorUrl
    (it turns redirects off and calls any non-2xx answer "available"), but its schema requires one.
    """
    data: dict[str, dict[str, Any]] = {}
    for site in _checked(sites):
        entry: dict[str, Any] = {"url": site["url"], "urlMain": site["main"], "username_claimed": site["claimed"]}
        if site["detect"] == "status":
            entry["errorType"] = "status_code"
        elif site["detect"] == "message":
            if not site["absent_text"]:
                raise ValueError(f"site {site['name']!r}: Sherlock's message check needs absent_text")
            entry["errorType"] = "message"
            entry["errorMsg"] = site["absent_text"]
        else:
            entry["errorType"] = "response_url"
            entry["errorUrl"] = site["absent_url"] or site["main"]
        data[site["name"]] = entry
    return data


def _maigret_template(url: str) -> str:
    """Neutral URL (with {}) to Maigret's, which it fills with str.format(username=...)."""
    parts = [part.replace("{", "{{").replace("}", "}}") for part in url.split("{}")]
    return "{username}".join(parts)


def maigret_db(sites: Iterable[SiteSpec]) -> dict[str, Any]:
    """Maigret's database (the format of its resources/data.json: sites, engines, tags).

    Its "message" check wants no absence string AND (when presenseStrs is set) a presence string; its
    "response_url" check wants a 2xx without following redirects (and a presence string when one is set).
    """
    db_sites: dict[str, dict[str, Any]] = {}
    for site in _checked(sites):
        entry: dict[str, Any] = {
            "url": _maigret_template(site["url"]),
            "urlMain": site["main"],
            "usernameClaimed": site["claimed"],
            "usernameUnclaimed": site["unclaimed"],
        }
        if site["detect"] == "status":
            entry["checkType"] = "status_code"
        elif site["detect"] == "message":
            entry["checkType"] = "message"
            if site["absent_text"]:
                entry["absenceStrs"] = [site["absent_text"]]
            if site["present_text"]:
                entry["presenseStrs"] = [site["present_text"]]  # sic: Maigret's own spelling
            if not site["absent_text"] and not site["present_text"]:
                raise ValueError(f"site {site['name']!r}: a message check needs absent_text or present_text")
        else:
            entry["checkType"] = "response_url"
            if site["present_text"]:
                entry["presenseStrs"] = [site["present_text"]]
        db_sites[site["name"]] = entry
    return {"sites": db_sites, "engines": {}, "tags": []}


# --------------------------------------------------------------------------- running a tool

# Imported by the tool's interpreter at start (PYTHONPATH): refuse and log any connect or lookup off loopback.
_GUARD = """\
import ipaddress, os, sys

_log = open(os.environ["BENCH_NETLOG"], "a", buffering=1, encoding="utf-8")


def _loopback(host):
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    host = str(host).strip("[]").split("%")[0]
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _hook(event, args):
    if event == "socket.connect":
        address = args[1]
        if not isinstance(address, tuple):
            return
        host, port = address[0], address[1]
    elif event in ("socket.getaddrinfo", "socket.sendto"):
        if event == "socket.sendto":
            if not isinstance(args[1], tuple):
                return
            host, port = args[1][0], args[1][1]
        else:
            host, port = args[0], args[1]
    elif event in ("socket.gethostbyname", "socket.gethostbyaddr"):
        host, port = args[0], None
    else:
        return
    allowed = _loopback(host)
    _log.write(f"{event} {host} {port} {'ok' if allowed else 'BLOCKED'}\\n")
    if not allowed:
        raise PermissionError(f"benchmark network guard: {event} to {host!r} is not loopback")


sys.addaudithook(_hook)
"""


def _tool_env(tooldir: Path) -> dict[str, str]:
    guard = tooldir / "guard"
    guard.mkdir(parents=True, exist_ok=True)
    (guard / "sitecustomize.py").write_text(_GUARD, encoding="utf-8")
    home = tooldir / "home"  # Maigret reads ~/.maigret/settings.json and keeps state there: use a clean one
    home.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k.lower() not in {"all_proxy", "pythonpath", "pythonhome"}}
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        env[name] = env[name.lower()] = DEAD_PROXY
    env["NO_PROXY"] = env["no_proxy"] = LOOPBACK_NAMES
    env["PYTHONPATH"] = str(guard)
    env["BENCH_NETLOG"] = str(tooldir / "network.log")
    env["HOME"] = str(home)
    env.pop("VIRTUAL_ENV", None)
    return env


def _fresh(path: Path) -> Path:
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def _execute(command: Sequence[str], tooldir: Path, limit: float) -> tuple[float, str | None]:
    """Run the tool (its output to <tooldir>/stdout.log); return wall seconds and an error or None."""
    env = _tool_env(tooldir)
    log_path = tooldir / "stdout.log"
    with open(log_path, "wb") as log:
        start = time.perf_counter()
        proc = subprocess.Popen(
            list(command),
            cwd=tooldir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            code = proc.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return time.perf_counter() - start, f"killed after {limit:g} s (see {log_path})"
        wall = time.perf_counter() - start
    if code != 0:
        tail = log_path.read_text(encoding="utf-8", errors="replace")[-600:]
        return wall, f"exit status {code}: ...{tail}"
    return wall, None


def _join_errors(*errors: str | None) -> str | None:
    kept = [e for e in errors if e]
    return "; ".join(kept) if kept else None


def run_sherlock(
    sites: Iterable[SiteSpec],
    usernames: Sequence[str],
    workdir: Path,
    *,
    venv: Path = DEFAULT_VENV,
    limit: float = RUN_LIMIT,
) -> ToolRun:
    """Sherlock with its defaults (20 threads at most, 60 s timeout), all usernames in one call.

    Flags: --json FILE (our site data, never the one on the net), --ignore-exclusions (else it fetches a list of
    excluded site names from GitHub and drops those sites), --folderoutput + --csv (one CSV per username, claimed
    rows only), --no-color. There is no flag for its release check: the dead proxy refuses it.
    """
    tooldir = _fresh(Path(workdir).resolve() / "sherlock")
    data_file = tooldir / "data.json"
    data_file.write_text(json.dumps(sherlock_data(sites), indent=1), encoding="utf-8")
    out = tooldir / "out"
    command = [
        str(_venv_python(venv)),
        "-m",
        "sherlock_project",
        "--json",
        str(data_file),
        "--ignore-exclusions",
        "--folderoutput",
        str(out),
        "--csv",
        "--no-color",
        "--",  # so that a username starting with "-" is not read as a flag
        *usernames,
    ]
    wall, error = _execute(command, tooldir, limit)
    found: dict[str, set[str]] = {name: set() for name in usernames}
    missing = []
    for name in usernames:
        report = out / f"{name}.csv"
        if not report.exists():
            missing.append(name)
            continue
        with open(report, newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                if row.get("exists") == "Claimed":
                    found[name].add(row["name"])
    gap = f"no CSV report for {missing}" if missing and error is None else None
    version = _tool_versions(Path(venv)).get("sherlock-project", "?")
    return ToolRun("sherlock", version, wall, found, _join_errors(error, gap))


def run_maigret(
    sites: Iterable[SiteSpec],
    usernames: Sequence[str],
    workdir: Path,
    *,
    venv: Path = DEFAULT_VENV,
    limit: float = RUN_LIMIT,
) -> ToolRun:
    """Maigret with its defaults (100 connections, 30 s timeout, no retries), all usernames in one call.

    Flags: --db FILE (our database; a custom one also skips its database auto-update), --no-autoupdate (the same,
    said twice), --all-sites (it scans only the 500 best-ranked sites of a database by default), --no-recursion and
    --no-extracting (else it parses found pages for other identifiers and searches those too), --json simple
    (one JSON report per username, claimed sites only) into --folderoutput, --no-color, --no-progressbar.
    """
    tooldir = _fresh(Path(workdir).resolve() / "maigret")
    db_file = tooldir / "db.json"
    db_file.write_text(json.dumps(maigret_db(sites), indent=1), encoding="utf-8")
    out = tooldir / "out"
    command = [
        str(_venv_python(venv)),
        "-m",
        "maigret",
        "--db",
        str(db_file),
        "--no-autoupdate",
        "--all-sites",
        "--no-recursion",
        "--no-extracting",
        "--json",
        "simple",
        "--folderoutput",
        str(out),
        "--no-color",
        "--no-progressbar",
        "--",  # so that a username starting with "-" is not read as a flag
        *usernames,
    ]
    wall, error = _execute(command, tooldir, limit)
    found: dict[str, set[str]] = {name: set() for name in usernames}
    missing = []
    for name in usernames:
        report = out / f"report_{name.replace('/', '_')}_simple.json"
        if not report.exists():
            missing.append(name)
            continue
        for site_name, entry in json.loads(report.read_text(encoding="utf-8")).items():
            if entry.get("status", {}).get("status") == "Claimed":
                found[name].add(site_name)
    # Maigret skips a username holding '#' and one it has seen before (case-insensitively): no report for those.
    gap = f"no JSON report for {missing}" if missing and error is None else None
    version = _tool_versions(Path(venv)).get("maigret", "?")
    return ToolRun("maigret", version, wall, found, _join_errors(error, gap))


def network_log(workdir: Path, tool: str) -> list[str]:
    """The guard's lines for the last run of that tool: one per socket connect or lookup."""
    path = Path(workdir).resolve() / tool / "network.log"
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


# --------------------------------------------------------------------------- self-test

CLAIMED = "acme"
UNCLAIMED = "noonenothere7"
PROFILE = '<html><head><title>@{0}</title></head><body><div class="profile-card"><h1>@{0}</h1></div></body></html>'
MISSING = "<html><head><title>Oops</title></head><body><p>Sorry, this page isn't available.</p></body></html>"
SIGNUP = "<html><head><title>Sign up</title></head><body><p>Create an account.</p></body></html>"


class _Handler(BaseHTTPRequestHandler):
    """Three sites on one port: /status/NAME, /message/NAME and /redirect/NAME (NAME missing -> 302 to /signup)."""

    protocol_version = "HTTP/1.1"
    seen: ClassVar[list[tuple[str, str]]] = []  # (method, path) of every request, in order

    def _answer(self, with_body: bool) -> None:
        type(self).seen.append((self.command, self.path))
        parts = self.path.split("?", 1)[0].strip("/").split("/")
        kind, name = (parts[0], parts[1]) if len(parts) == 2 else (parts[0], "")
        location = None
        if kind == "status":
            status, body = (200, PROFILE.format(name)) if name == CLAIMED else (404, MISSING)
        elif kind == "message":
            status, body = 200, PROFILE.format(name) if name == CLAIMED else MISSING
        elif kind == "redirect":
            status, body = (200, PROFILE.format(name)) if name == CLAIMED else (302, "")
            if status == 302:
                location = f"/signup?from={name}"
        elif kind == "signup":
            status, body = 200, SIGNUP  # a tool that followed the redirect would see a 200 here
        else:
            status, body = 404, MISSING
        raw = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(raw)))
        if location:
            self.send_header("Location", location)
        self.end_headers()
        if with_body:
            self.wfile.write(raw)

    def do_GET(self) -> None:
        self._answer(with_body=True)

    def do_HEAD(self) -> None:
        self._answer(with_body=False)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep the tools' output readable


def _selftest_sites(port: int) -> list[dict[str, Any]]:
    base = f"http://127.0.0.1:{port}"
    common = {"main": base + "/", "claimed": CLAIMED, "unclaimed": UNCLAIMED}
    return [
        {
            **common,
            "name": "SimStatus",
            "url": base + "/status/{}",
            "detect": "status",
            "absent_text": None,
            "present_text": None,
            "absent_url": None,
        },
        {
            **common,
            "name": "SimMessage",
            "url": base + "/message/{}",
            "detect": "message",
            "absent_text": "Sorry, this page isn't available",
            "present_text": 'class="profile-card"',
            "absent_url": None,
        },
        {
            **common,
            "name": "SimRedirect",
            "url": base + "/redirect/{}",
            "detect": "redirect",
            "absent_text": None,
            "present_text": None,
            "absent_url": base + "/signup?from={}",
        },
    ]


def _describe(run: ToolRun) -> str:
    found = ", ".join(f"{name}: {sorted(sites)}" for name, sites in run.found.items())
    return (
        f"ToolRun(tool={run.tool!r}, version={run.version!r}, wall_seconds={run.wall_seconds:.2f}, "
        f"found={{{found}}}, error={run.error!r})"
    )


def _schema_problem(data: dict[str, Any]) -> str | None:
    """Check our Sherlock data against the schema that Sherlock ships (with handlecheck's own validator)."""
    from handlecheck.schemafaults import SchemaFaults

    done = subprocess.run(
        [
            str(_venv_python(DEFAULT_VENV)),
            "-c",
            "import sherlock_project, pathlib; print(pathlib.Path(sherlock_project.__file__).parent)",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    schema = json.loads((Path(done.stdout.strip()) / "resources" / "data.schema.json").read_text(encoding="utf-8"))
    faults = SchemaFaults(schema)(data)
    return f"{faults[0].path}: {faults[0].message}" if faults else None


def _selftest() -> int:
    started = time.perf_counter()
    venv = ensure_venv()
    print(f"reference venv: {venv} {_tool_versions(venv)} (ready in {time.perf_counter() - started:.1f} s)")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    sites = _selftest_sites(port)
    problem = _schema_problem(sherlock_data(sites))
    print(f"sherlock data vs its data.schema.json: {problem or 'valid'}")
    expected = {CLAIMED: {s["name"] for s in sites}, UNCLAIMED: set()}
    ok = problem is None
    with tempfile.TemporaryDirectory(prefix="reference-selftest-") as tmp:
        for runner in (run_sherlock, run_maigret):
            before = len(_Handler.seen)
            run = runner(sites, [CLAIMED, UNCLAIMED], Path(tmp), limit=300)
            requests = _Handler.seen[before:]
            print(_describe(run))
            print(f"  requests to the local server: {len(requests)}: {sorted(set(requests))}")
            lines = network_log(Path(tmp), run.tool)
            blocked = [line for line in lines if line.endswith("BLOCKED")]
            proxy = [line for line in lines if " 127.0.0.1 9 " in line]
            others = sorted({line.rsplit(" ", 2)[0] for line in lines if " 127.0.0.1 9 " not in line})
            print(f"  network guard: {len(lines)} events, {len(blocked)} blocked, {len(proxy)} to the dead proxy")
            print(f"    addresses: {others}")
            for line in blocked:
                print(f"    {line}")
            for line in (Path(tmp) / run.tool / "stdout.log").read_text(errors="replace").splitlines():
                if "update" in line.lower() or "proxy" in line.lower() or "exclusion" in line.lower():
                    print(f"  tool said: {line.strip()}")
            right = sum(
                (site in run.found.get(name, set())) == (site in expected[name])
                for name in expected
                for site in (s["name"] for s in sites)
            )
            print(f"  {right}/6 answers right")
            ok = ok and right == 6 and run.error is None and not blocked
    server.shutdown()
    print("SELF-TEST", "PASSED" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(_selftest())
