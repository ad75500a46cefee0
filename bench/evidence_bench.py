"""What keeping evidence costs: bytes on disk and time added, per archived finding.

    python bench/evidence_bench.py                  # 30 impersonators, 200 KB pages
    python bench/evidence_bench.py --page-kb 50 --screenshots

One simulated platform on 127.0.0.1 holds the brand's 30 most dangerous lookalike handles,
each an impersonator whose profile page weighs `--page-kb`. The same library scan runs without
evidence, then with it (then with screenshots, where Chromium is installed, when asked), each
`--runs` times; the table gives the median wall time, the time added per archived finding and
the bytes the evidence folder holds per finding (WARC, gzip-compressed, and screenshots).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import string
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aiohttp import web

import handlecheck
from handlecheck import Config, Depth, EvidencePlan, Owned
from handlecheck.evidence.screenshot import find_browser

PLATFORM = """version: 1
platforms:
  - id: chirp
    name: Chirp
    priority: critical
    urls: {{profile: "{base}/@{{{{handle}}}}", report: "{base}/report"}}
    handle: {{pattern: "^[a-z0-9_.]{{2,30}}$"}}
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


def page_filler(kilobytes: int, seed: int) -> str:
    """Text that compresses about as well as a real profile page's markup does (3-5x)."""
    rng = random.Random(seed)
    words = ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(2, 9))) for _ in range(400)]
    return " ".join(rng.choice(words) for _ in range(kilobytes * 170))[: kilobytes * 1024]


async def serve(held: dict[str, dict[str, str]]) -> tuple[web.AppRunner, str]:
    async def api(request: web.Request) -> web.Response:
        account = held.get(request.match_info["name"])
        return web.json_response(account) if account else web.json_response({}, status=404)

    async def page(request: web.Request) -> web.Response:
        account = held.get(request.match_info["name"])
        if account is None:
            return web.Response(status=404)
        # A profile page as people see it: a header, the bio, and a feed below (about 2,400 px).
        body = f"<h1>{account['name']}</h1><p>{account['bio'][:300]}</p>" + "<div style='height:120px'>post</div>" * 18
        return web.Response(text=body, content_type="text/html")

    app = web.Application()
    app.router.add_get("/api/{name}", api)
    app.router.add_get("/@{name}", page)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


async def one_scan(platforms: Path, root: Path | None, screenshots: bool) -> tuple[float, int, int]:
    plan = EvidencePlan(root, screenshots=screenshots) if root is not None else None
    config = Config(brand="acme", owned=(Owned("chirp", "acme"),))
    started = time.perf_counter()
    report = await handlecheck.scan(config=config, platforms=platforms, depth=Depth.QUICK, evidence=plan)
    wall = time.perf_counter() - started
    kept = [f for f in report.findings if f.evidence is not None]
    size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) if root is not None else 0
    return wall, len(kept), size


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--impersonators", type=int, default=30)
    parser.add_argument("--page-kb", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--screenshots", action="store_true", help="also with screenshots (needs Chromium)")
    args = parser.parse_args()
    handles = [c.handle for c in handlecheck.generate("acme", limit=args.impersonators)]
    held = {h: {"name": "ACME Support", "bio": f"Official ACME help desk. DM us. {page_filler(args.page_kb, i)}"}
            for i, h in enumerate(handles)}  # fmt: skip
    held["acme"] = {"name": "Acme", "bio": "The official account"}
    runner, base = await serve(held)
    modes = [("no evidence", False, False), ("evidence", True, False)]
    if args.screenshots and find_browser() is not None:
        modes.append(("evidence + screenshots", True, True))
    try:
        with tempfile.TemporaryDirectory() as scratch:
            platforms = Path(scratch) / "platforms.yaml"
            platforms.write_text(PLATFORM.format(base=base), encoding="utf-8")
            rows = []
            for label, keep, shots in modes:
                walls, sizes, kept = [], [], 0
                for run in range(args.runs):
                    root = Path(scratch) / f"{label}-{run}" if keep else None
                    wall, kept, size = await one_scan(platforms, root, shots)
                    walls.append(wall)
                    sizes.append(size)
                rows.append((label, statistics.median(walls), kept, statistics.median(sizes)))
    finally:
        await runner.cleanup()
    baseline = rows[0][1]
    print(f"{args.impersonators} impersonators, {args.page_kb} KB profile pages, median of {args.runs} runs\n")
    print("| run | wall s | findings archived | added per finding | evidence bytes per finding |")
    print("|---|---|---|---|---|")
    for label, wall, kept, size in rows:
        added = f"{(wall - baseline) / kept * 1000:.1f} ms" if kept else "-"
        per = f"{size / kept / 1024:.1f} KiB" if kept else "-"
        print(f"| {label} | {wall:.2f} | {kept} | {added} | {per} |")


if __name__ == "__main__":
    asyncio.run(main())
