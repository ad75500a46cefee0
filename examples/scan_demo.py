"""`handlecheck scan` against five platforms simulated on 127.0.0.1: Acme's name is free on
two, held by someone else on one, Acme's own on one (`--owned gamma:acme`), and one platform
does not answer; an impersonator, `acme_support`, waits on Delta.

    .venv/bin/python examples/scan_demo.py

It prints the command it runs (in an 80-column terminal) and that command's real output; the
README shows it.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from aiohttp import web

PLATFORMS = {  # id: (name, priority, accounts: handle -> (display name, bio))
    "alpha": ("Alpha", "critical", {}),
    "beta": ("Beta Social Network", "high", {"acme": ("Acme Pizza", "Wood-fired pizza in Leeds")}),
    "gamma": ("Gamma", "normal", {"acme": ("Acme", "The official Acme account")}),
    "delta": ("Delta", "high", {"acme_support": ("Acme Support", "Official Acme help desk. DM us your order number")}),
    "epsilon": ("Epsilon", "low", {}),
}  # fmt: skip
ENTRY = """
  - id: {id}
    name: {name}
    priority: {priority}
    urls: {{profile: "{base}/{id}/@{{{{handle}}}}", signup: "{base}/{id}/join", report: "{base}/{id}/report"}}
    handle: {{pattern: "^[a-z0-9_]{{3,20}}$"}}
    profile:
      request: {{url: "{base}/{id}/api/{{{{handle}}}}"}}
      fields: {{display_name: {{type: json, path: name}}, bio: {{type: json, path: bio}}}}
    checks:
      - request: {{url: "{base}/{id}/api/{{{{handle}}}}"}}
        outcomes:
          - verdict: taken
            matchers: [{{type: status, status: [200]}}]
          - verdict: available
            matchers: [{{type: status, status: [404]}}]
"""
COMMAND = ["scan", "Acme", "--platforms", "sim.yaml", "--owned", "gamma:acme", "--depth", "quick", "--no-db",
           "--email-domain", "acme.example", "--no-progress"]  # fmt: skip


async def api(request: web.Request) -> web.Response:
    platform = request.match_info["platform"]
    if platform == "epsilon":
        return web.Response(status=503, text="down for maintenance")
    held = PLATFORMS[platform][2].get(request.match_info["name"])
    if held is None:
        return web.json_response({}, status=404)
    return web.json_response({"name": held[0], "bio": held[1]})


async def main(folder: Path) -> None:
    app = web.Application()
    app.router.add_get("/{platform}/api/{name}", api)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    entries = "".join(
        ENTRY.format(id=key, name=name, priority=priority, base=base) for key, (name, priority, _) in PLATFORMS.items()
    )
    (folder / "sim.yaml").write_text("version: 1\nplatforms:" + entries, encoding="utf-8")
    print("$ COLUMNS=80 handlecheck " + " ".join(COMMAND))
    environment = {**os.environ, "COLUMNS": "80"}
    try:
        run = await asyncio.to_thread(
            subprocess.run, [sys.executable, "-m", "handlecheck", *COMMAND],
            capture_output=True, text=True, check=False, cwd=folder, env=environment,
        )  # fmt: skip
        print(run.stdout, end="")
        if run.returncode:
            print(f"(exit {run.returncode}) {run.stderr}")
    finally:
        await runner.cleanup()


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as scratch:
        asyncio.run(main(Path(scratch)))
