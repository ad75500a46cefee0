"""`handlecheck lookalikes --check` against one platform simulated on 127.0.0.1, with accounts
planted for Nike: a Spanish-speaking fake help desk, a fan page, a parody, a namesake, and a
"not affiliated" account that still asks for logins.

    .venv/bin/python examples/lookalike_demo.py

It prints the command it runs and that command's real output; the README shows it.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
from pathlib import Path

from aiohttp import web

ACCOUNTS = {
    "nike_soporte": {
        "name": "Nike Soporte Oficial",
        "bio": "Atención al cliente 24/7. Escríbenos por DM para tu reembolso",
    },
    "nikefans": {"name": "Nike Fans", "bio": "Unofficial fan page. Sneakers, drops, photos"},
    "n1ke": {"name": "NIKE", "bio": "Parody account, not affiliated. Verify your account: send your password by DM"},
    "nikeparody": {"name": "Not Nike", "bio": "Parody. Satire of sportswear ads"},
    "nikes": {"name": "Nikesh Patel", "bio": "Photographer in Leeds"},
}  # fmt: skip
PLATFORM = """version: 1
platforms:
  - id: chirp
    name: Chirp
    priority: critical
    urls: {{profile: "{base}/@{{{{handle}}}}", report: "{base}/report"}}
    handle: {{pattern: "^[a-z0-9_]{{3,20}}$"}}
    known: {{taken: [nike]}}
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


async def main(folder: Path) -> None:
    async def api(request: web.Request) -> web.Response:
        held = ACCOUNTS.get(request.match_info["name"])
        return web.json_response(held) if held else web.json_response({}, status=404)

    app = web.Application()
    app.router.add_get("/api/{name}", api)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    path = folder / "platforms.yaml"
    path.write_text(PLATFORM.format(base=base), encoding="utf-8")
    command = ["lookalikes", "Nike", "--check", "--platforms", str(path), "--depth", "deep", "--owned", "chirp:nike"]
    try:
        for extra in ([], ["--format", "json"]):
            print("$ handlecheck " + " ".join([*command, *extra]).replace(str(path), "platforms.yaml"))
            run = await asyncio.to_thread(
                subprocess.run, [sys.executable, "-m", "handlecheck", *command, *extra],
                capture_output=True, text=True, check=False,
            )  # fmt: skip
            print(run.stdout.replace(base, "http://127.0.0.1:" + "N" * (len(base) - 17)), end="")
            if run.returncode:
                print(f"(exit {run.returncode}) {run.stderr}")
    finally:
        await runner.cleanup()


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as scratch:
        asyncio.run(main(Path(scratch)))
