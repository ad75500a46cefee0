"""`handlecheck scan` with evidence and an alert, against one platform simulated on 127.0.0.1
where an impersonator of Acme waits, and a webhook (also on 127.0.0.1) that prints what it gets.

    .venv/bin/python examples/evidence_demo.py

It prints the commands it runs and their real output (the local addresses shown as
https://chirp.example and http://hooks); the README shows it.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from aiohttp import web

ACCOUNTS = {
    "acme": {"name": "Acme", "bio": "The official Acme account"},
    "acme_support": {"name": "ACME Support", "bio": "Official ACME help desk. DM us your order number and password"},
}
PLATFORM = """version: 1
platforms:
  - id: chirp
    name: Chirp
    priority: critical
    urls: {{profile: "{base}/@{{{{handle}}}}", report: "{base}/help/report-impersonation"}}
    handle: {{pattern: "^[a-z0-9_]{{3,20}}$"}}
    profile:
      request: {{url: "{base}/api/{{{{handle}}}}"}}
      fields: {{display_name: {{type: json, path: name}}, bio: {{type: json, path: bio}}}}
    checks:
      - request: {{url: "{base}/api/{{{{handle}}}}"}}
        outcomes:
          - verdict: taken
            matchers: [{{type: status, status: [200]}}]
          - verdict: available
            matchers: [{{type: status, status: [404]}}]
"""


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


async def main(folder: Path) -> None:
    received: list[Any] = []

    async def api(request: web.Request) -> web.Response:
        held = ACCOUNTS.get(request.match_info["name"])
        return web.json_response(held) if held else web.json_response({}, status=404)

    async def hook(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.Response(text="ok")

    platform_app, hook_app = web.Application(), web.Application()
    platform_app.router.add_get("/api/{name}", api)
    hook_app.router.add_post("/hook", hook)
    (site, base), (hooks, hook_base) = await serve(platform_app), await serve(hook_app)
    (folder / "platforms.yaml").write_text(PLATFORM.format(base=base), encoding="utf-8")
    env = {**os.environ, "ALERT_URL": f"{hook_base}/hook"}

    def stable(text: str) -> str:
        return text.replace(str(folder), "~").replace(base, "https://chirp.example").replace(hook_base, "http://hooks")

    async def run(*command: str) -> str:
        print("$ handlecheck " + stable(" ".join(command)))
        done = await asyncio.to_thread(
            subprocess.run, [sys.executable, "-m", "handlecheck", *command],
            capture_output=True, text=True, check=False, cwd=folder, env=env,
        )  # fmt: skip
        print(stable(done.stdout + done.stderr), end="")
        print(f"(exit {done.returncode})")
        return done.stdout

    try:
        scan = ["scan", "acme", "--platforms", "platforms.yaml", "--owned", "chirp:acme", "--depth", "quick",
                "--db", "history.sqlite", "--evidence", "evidence", "--no-progress", "--fail-on", "new-lookalike",
                "--notify", "env:ALERT_URL"]  # fmt: skip
        await run(*scan, "--format", "markdown", "-o", "report.md")
        report = (folder / "report.md").read_text()
        start = report.index("- [ ] Report acme")
        print("$ sed -n '/Report acme/,/^- \\[ \\] [A-Z]/p' report.md")
        print(stable(report[start : report.index("\n- [ ]", start + 1)]))
        print("# what the webhook received:")
        print(stable(json.dumps(received[0]["alerts"][0], indent=2)))
        await run("evidence", "verify", "evidence")
        print(f"$ handlecheck {stable(' '.join(scan))}   # again: nothing new, nothing sent")
        again = await asyncio.to_thread(
            subprocess.run, [sys.executable, "-m", "handlecheck", *scan, "--max-age", "0", "-o", os.devnull],
            capture_output=True, text=True, check=False, cwd=folder, env=env,
        )  # fmt: skip
        print(f"(exit {again.returncode}; the webhook received {len(received)} message in all)")
        archive = next((folder / "evidence").rglob("*.warc.gz"))
        data = bytearray(archive.read_bytes())
        data[len(data) // 2] ^= 0xFF  # one bit of the archive flipped, and a file added beside it
        archive.write_bytes(bytes(data))
        (archive.parent / "notes.txt").write_text("my notes\n")
        print("# one byte of the archive changed, a file added:")
        await run("evidence", "verify", "evidence")
    finally:
        await site.cleanup()
        await hooks.cleanup()


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as scratch:
        asyncio.run(main(Path(scratch)))
