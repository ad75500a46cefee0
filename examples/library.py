"""Every function of the library, run against two platforms simulated on 127.0.0.1.

    .venv/bin/python examples/library.py

Each step prints what a caller would get; the README shows this script's real output.
"""

from __future__ import annotations

import asyncio
import tempfile
from datetime import timedelta
from pathlib import Path

from aiohttp import web

import handlecheck
from handlecheck import Config, Depth, History, HttpOptions, Owned

ACCOUNTS = {
    "acme": {"name": "ACME", "bio": "The official ACME account"},
    "acme_support": {"name": "ACME Support", "bio": "ACME customer support. DM us your order number"},
}
ENTRY = """
  - id: {id}
    name: {name}
    priority: high
    urls: {{profile: "{base}/@{{{{handle}}}}", report: "{base}/report"}}
    handle: {{pattern: "^[a-z0-9_]{{3,20}}$"}}
    known: {{taken: [acme]}}
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


async def serve(held: dict[str, dict[str, str]]) -> tuple[web.AppRunner, str]:
    async def api(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        return web.json_response(held[name]) if name in held else web.json_response({}, status=404)

    app = web.Application()
    app.router.add_get("/api/{name}", api)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}"


async def main(folder: Path) -> None:
    first, base_one = await serve(ACCOUNTS)
    second, base_two = await serve({})
    path = folder / "platforms.yaml"
    entries = ENTRY.format(id="chirp", name="Chirp", base=base_one) + ENTRY.format(
        id="snap", name="Snap", base=base_two
    )
    path.write_text("version: 1\nplatforms:" + entries, encoding="utf-8")
    options = HttpOptions(timeout=5)
    try:
        print("check:")  # results come as each completes: sorted here, so the output is the same every run
        results = [result async for result in handlecheck.check(["acme", "acmehq"], platforms=path, options=options)]
        for result in sorted(results, key=lambda r: (r.handle, r.platform)):
            print(f"  {result.handle}@{result.platform}: {result.verdict} ({result.evidence})")

        config = Config(brand="Acme", owned=(Owned("chirp", "acme"),), depth=Depth.QUICK)
        report = await handlecheck.scan(config=config, platforms=path, options=options)
        print(f"scan: best handle {report.best_handle.handle if report.best_handle else '-'}; to do:")
        for item in report.todo:
            print(f"  {item.action} {item.platform} {item.handle}: {item.reason}")

        hunted = await handlecheck.hunt(
            "Acme", path, depth=Depth.QUICK, owned=[Owned("chirp", "acme")], options=options
        )
        for finding in hunted.findings:
            print(f"hunt: {finding.handle}@{finding.platform} {finding.classification} risk {finding.risk}")

        with History(folder / "history.db") as history:
            for _ in range(2):  # two runs a day apart, as a CI job would make them
                async for outcome in handlecheck.scan_many(
                    [config, "Globex"], platforms=path, options=options, history=history, max_age=timedelta(0)
                ):
                    print(f"scan_many: {outcome.report.brand}: {len(outcome.report.todo)} to-do items, "
                          f"{len(outcome.changes)} changes since the last scan")  # fmt: skip
            print(f"diff: {len(handlecheck.diff(history, 'Acme'))} changes between the last two scans of Acme")

        checked = [health async for health in handlecheck.selfcheck(path, options=options, seed=1)]
        for health in sorted(checked, key=lambda h: h.platform):
            print(f"selfcheck: {health.platform} {health.health}: {health.detail}")
    finally:
        await first.cleanup()
        await second.cleanup()


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as scratch:
        asyncio.run(main(Path(scratch)))
