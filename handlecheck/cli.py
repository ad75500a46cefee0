"""The command line: the only module that prints or chooses an exit code.

Exit codes: 0 done, 1 a --fail-on policy matched (selfcheck: a broken rule), 2 usage or input
error, 3 nothing could be reached or the scan is incomplete, 130 interrupted.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

from tqdm import tqdm

from . import __version__, aio
from .api import check
from .brands import read_brands
from .bulk import BrandOutcome, BulkScan
from .changes import FailOn, compare, earlier_scan, from_history, parse_policies, read_baseline, write_baseline
from .config import CONFIG_NAME, Config, Selection, find_config, load_config, overlay, starter
from .domain import Depth, Owned, ScanReport, Technique
from .errors import HandlecheckError, InputError
from .handles import normalise
from .history import History, default_path
from .http import DEFAULT_USER_AGENT, HttpOptions
from .hunt import hunt, plan
from .lookalikes import KEYBOARDS, Brand, generate, parse_techniques, read_affixes
from .models import Platform, Result
from .planner import variants
from .registry import import_file, is_native, json_document, load_catalogue, read_file, select, validate_file
from .report.bulk import render_bulk_summary
from .report.catalogue import health_counts, render_platform_list, render_selfcheck
from .report.history import render_diff, render_history
from .report.junit import render_junit
from .report.lookalikes import render_candidates, render_findings
from .report.results import csv_header, csv_line, jsonl_line, render_json, render_table
from .report.scan import render_csv as render_scan_csv
from .report.scan import render_html, render_markdown
from .report.scan import render_json as render_scan_json
from .report.scan import render_table as render_scan_table
from .report.text import printable
from .report.yaml import dump_yaml
from .selection import choose_platforms
from .selfcheck import Health, PlatformHealth, selfcheck, write_skip_file
from .summary import summarise

EXIT_OK = 0
EXIT_POLICY = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3
EXIT_INTERRUPTED = 130
FORMATS = ("table", "json", "jsonl", "csv")
STREAMING_FORMATS = ("jsonl", "csv")

log = logging.getLogger("handlecheck")


def _whole_number(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{text!r} must be at least {minimum}")
        return value

    return parse


_positive_int = _whole_number(1)
_non_negative_int = _whole_number(0)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 <= value <= 86400:
        raise argparse.ArgumentTypeError(f"{text!r} must be between 0 and 86400 seconds")
    return value


def _id_list(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def _add_selection(parser: argparse.ArgumentParser, *, skip_file: bool = True) -> None:
    group = parser.add_argument_group("platform selection")
    group.add_argument(
        "--platforms",
        metavar="FILE",
        help="platform file to use instead of the bundled catalogue: handlecheck's format, or "
        "Sherlock's data.json, WhatsMyName's wmn-data.json or Maigret's data.json",
    )
    group.add_argument(
        "--add-platforms",
        metavar="FILE",
        action="append",
        default=[],
        help="add the platforms of FILE (any of those formats); an id already present keeps its first definition",
    )
    group.add_argument("--nsfw", action="store_true", help="include entries the databases mark NSFW")
    group.add_argument("--only", metavar="IDS", type=_id_list, default=[], help="comma-separated platform ids")
    group.add_argument("--tags", metavar="TAGS", type=_id_list, default=[], help="platforms with any of these tags")
    group.add_argument("--exclude", metavar="IDS", type=_id_list, default=[], help="platform ids to leave out")
    if skip_file:
        group.add_argument(
            "--skip-file", metavar="FILE", help="leave out the platform ids listed in FILE (from platforms selfcheck)"
        )


def _add_http(parser: argparse.ArgumentParser) -> None:
    defaults = HttpOptions()
    group = parser.add_argument_group("network")
    group.add_argument(
        "--concurrency",
        type=_positive_int,
        default=defaults.concurrency,
        help="requests in flight overall, a cap on sockets and memory; each host keeps its own pace "
        "(default %(default)s)",
    )
    group.add_argument(
        "--host-concurrency",
        type=_positive_int,
        default=defaults.host_concurrency,
        help="requests in flight per host, unless the platform sets its own (default %(default)s)",
    )
    group.add_argument(
        "--host-interval",
        type=_seconds,
        default=defaults.host_interval,
        metavar="SECONDS",
        help="minimum gap between requests to one host (default %(default)s)",
    )
    group.add_argument(
        "--timeout",
        type=_seconds,
        default=defaults.timeout,
        metavar="SECONDS",
        help="per-request timeout (default %(default)s)",
    )
    group.add_argument(
        "--retries",
        type=_non_negative_int,
        default=defaults.retries,
        help="retries after a network error or 5xx; a 429 waits its turn instead (default %(default)s)",
    )
    group.add_argument(
        "--max-retry-after",
        type=_seconds,
        default=defaults.max_retry_after,
        metavar="SECONDS",
        help="longest Retry-After honoured; a longer one ends the check as rate_limited (default %(default)s)",
    )
    group.add_argument(
        "--rate-limit-budget",
        type=_seconds,
        default=defaults.rate_limit_budget,
        metavar="SECONDS",
        help="how long a host that answers 429 may slow the run down before its checks end rate_limited "
        "(default %(default)s)",
    )
    group.add_argument(
        "--max-body",
        type=_positive_int,
        default=defaults.max_body_bytes,
        metavar="BYTES",
        help="bytes of a response body read at most (default %(default)s)",
    )
    group.add_argument(
        "--max-redirects",
        type=_non_negative_int,
        default=defaults.max_redirects,
        help="redirects followed at most (default %(default)s)",
    )
    group.add_argument("--proxy", metavar="URL", help="send every request through this HTTP proxy")
    group.add_argument(
        "--user-agent",
        default=DEFAULT_USER_AGENT,
        metavar="UA",
        help="User-Agent header (default: a current desktop browser)",
    )


def _add_output(parser: argparse.ArgumentParser, formats: Sequence[str]) -> None:
    group = parser.add_argument_group("output")
    group.add_argument("--format", "-f", choices=formats, default=formats[0], help="default %(default)s")
    group.add_argument("-o", "--output", metavar="FILE", help="write the report here instead of stdout")
    group.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour the table (auto: on a terminal, unless NO_COLOR is set)",
    )
    group.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="handlecheck",
        description="Check whether a brand's handle is registered on social platforms.",
        epilog=(
            "Exit codes: 0 done, 1 a --fail-on policy matched (platforms selfcheck: a rule is broken), "
            "2 usage or input error, 3 nothing could be reached or the scan is incomplete, 130 interrupted."
        ),
    )
    parser.add_argument("--version", action="version", version=f"handlecheck {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    check = commands.add_parser(
        "check",
        help="check handles on every selected platform",
        description="Ask every selected platform whether each handle is registered. "
        "Verdicts: available, taken, reserved, invalid, unknown (with a reason).",
        epilog="Examples:\n  handlecheck check acme\n  handlecheck check acme acmehq --only github,reddit "
        "--format jsonl\n  handlecheck check acme --tags developer -o acme.csv --format csv",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument("handles", nargs="+", metavar="HANDLE", help="one or more handles (a leading @ is dropped)")
    _add_selection(check)
    _add_http(check)
    _add_output(check, FORMATS)
    check.set_defaults(run=cmd_check)

    looks = commands.add_parser(
        "lookalikes",
        help="the handles an impersonator would pick; with --check, find and score those accounts",
        description="List the handles an impersonator would register instead of BRAND (typos, homoglyphs, "
        "separators, affixes like 'support' or 'official', parody words), ranked by how likely they are "
        "to fool a person. With --check, ask the platforms which exist, read their public profiles and "
        "classify each account as impersonator, parody, fan or unrelated with a risk score.",
        epilog="Examples:\n  handlecheck lookalikes acme --max 20\n  handlecheck lookalikes 'Acme Coffee' "
        "--platform instagram --format json\n  handlecheck lookalikes acme --check --depth quick "
        "--owned github:acme --owned x:acmehq",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    looks.add_argument("brand", metavar="BRAND", help="the brand's name (several words are fine)")
    looks.add_argument("--max", type=_positive_int, metavar="N", help="at most N candidates (per platform)")
    looks.add_argument(
        "--techniques",
        type=_id_list,
        metavar="LIST",
        help="only these: " + ", ".join(t.value for t in Technique),
    )
    looks.add_argument("--affixes", metavar="FILE", help="affixes to use instead of the defaults, one per line")
    looks.add_argument("--keyboard", choices=sorted(KEYBOARDS), default="qwerty", help="for typo neighbours")
    looks.add_argument(
        "--platform", metavar="ID", help="only handles valid on this platform, deduplicated as it sees them"
    )
    looks.add_argument("--check", action="store_true", help="check the candidates and score the accounts found")
    looks.add_argument(
        "--depth", choices=[d.value for d in Depth], default="standard",
        help="with --check: quick = top 30 on critical/high platforms, standard = top 100 on all but low, "
        "deep = everything (default %(default)s)",
    )  # fmt: skip
    looks.add_argument(
        "--owned", action="append", default=[], metavar="PLATFORM:HANDLE", help="an account the brand owns (repeatable)"
    )
    looks.add_argument("--domain", action="append", default=[], metavar="DOMAIN", help="a domain the brand owns")
    _add_selection(looks)
    _add_http(looks)
    _add_output(looks, ("table", "json", "jsonl", "csv"))
    looks.set_defaults(run=cmd_lookalikes)

    scan_cmd = commands.add_parser(
        "scan",
        help="the whole job: the brand everywhere, its lookalikes, and a prioritised to-do list",
        description="Check the brand's handle, its variants and aliases on every selected platform, find and "
        "score lookalike accounts, and turn it all into a to-do list: register, report, claim, fix, retry, "
        "watch. Settings come from handlecheck.yaml (--config, $HANDLECHECK_CONFIG, or the nearest one "
        "upward); flags win.",
        epilog="Examples:\n  handlecheck init --brand Acme && handlecheck scan\n  handlecheck scan acme --depth quick "
        "--format markdown -o todo.md\n  handlecheck scan acme --format html -o report.html",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    scan_cmd.add_argument("brand", nargs="?", metavar="BRAND", help="the brand (default: from the config file)")
    scan_cmd.add_argument(
        "--config", metavar="FILE", help="config file (default: $HANDLECHECK_CONFIG or ./handlecheck.yaml upward)"
    )
    scan_cmd.add_argument(
        "--alias", action="append", default=[], metavar="HANDLE", help="another name to hold (repeatable)"
    )
    scan_cmd.add_argument(
        "--owned", action="append", default=[], metavar="PLATFORM:HANDLE", help="an account the brand owns (repeatable)"
    )
    scan_cmd.add_argument("--email-domain", metavar="DOMAIN", help="for per-account e-mail aliases (social+x@DOMAIN)")
    scan_cmd.add_argument("--domain", action="append", default=[], metavar="DOMAIN", help="a web domain the brand owns")
    scan_cmd.add_argument(
        "--depth", choices=[d.value for d in Depth], help="lookalike depth (default: config, else standard)"
    )
    bulk = scan_cmd.add_argument_group("many brands, history and CI")
    bulk.add_argument("--input", metavar="FILE", help="brands to scan: CSV (brand, aliases, owned, email_domain, "
                      "owner), YAML, or - for one brand a line on stdin")  # fmt: skip
    bulk.add_argument("--out", metavar="DIR", help="write one report per brand here (needed with --input)")
    bulk.add_argument("--db", metavar="PATH", help=f"history database (default {default_path()})")
    bulk.add_argument("--no-db", action="store_true", help="keep no history")
    bulk.add_argument("--max-age", type=float, default=24.0, metavar="HOURS",
                      help="answers younger than this are reused, not asked again (default %(default)s)")  # fmt: skip
    bulk.add_argument("--fail-on", default="never", metavar="POLICY",
                      help="exit 1 when it matches: never, available, lookalike, new-lookalike, changed "
                      "(comma-separated; default %(default)s)")  # fmt: skip
    bulk.add_argument("--baseline", metavar="FILE", help="compare with this JSON baseline instead of the last scan")
    bulk.add_argument("--update-baseline", action="store_true", help="write this scan to the --baseline file")
    _add_selection(scan_cmd)
    _add_http(scan_cmd)
    _add_output(scan_cmd, ("table", "markdown", "json", "csv", "html", "junit"))
    scan_cmd.set_defaults(run=cmd_scan)

    past = commands.add_parser("history", help="the stored scans of a brand")
    past.add_argument("brand", metavar="BRAND")
    past.add_argument("--db", metavar="PATH", help=f"history database (default {default_path()})")
    past.add_argument("--format", "-f", choices=("table", "json"), default="table")
    past.set_defaults(run=cmd_history)

    delta = commands.add_parser(
        "diff",
        help="what changed since an earlier scan: new and vanished lookalikes, verdicts that changed",
        description="Compare the brand's latest scan with an earlier one (the one before it, or --since a "
        "scan id or a date): new and vanished lookalike accounts, and verdicts that changed, above all "
        "available -> taken (someone took the name).",
    )
    delta.add_argument("brand", metavar="BRAND")
    delta.add_argument("--since", metavar="SCAN|DATE", help="a scan id, or a date (YYYY-MM-DD[THH:MM])")
    delta.add_argument("--db", metavar="PATH", help=f"history database (default {default_path()})")
    delta.add_argument("--format", "-f", choices=("table", "json", "markdown"), default="table")
    delta.set_defaults(run=cmd_diff)

    init = commands.add_parser("init", help="write a commented starter handlecheck.yaml")
    init.add_argument("--brand", default="Acme", help="the brand's name (default %(default)s)")
    init.add_argument("-o", "--output", default=CONFIG_NAME, metavar="FILE", help="where (default %(default)s)")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")
    init.set_defaults(run=cmd_init)

    platforms = commands.add_parser("platforms", help="list, validate, import and self-check platform files")
    sub = platforms.add_subparsers(dest="platforms_command", metavar="ACTION", required=True)
    listing = sub.add_parser("list", help="list the platforms of a file (the bundled catalogue by default)")
    _add_selection(listing)
    listing.add_argument("--format", "-f", choices=("table", "json", "csv"), default="table")
    listing.set_defaults(run=cmd_platforms_list)

    validate = sub.add_parser(
        "validate",
        help="report every error of a platform file (exit 2 when it has one)",
        description="Schema and semantic errors of a handlecheck platform file, each with file, line and "
        "YAML path; for a community database, what would import and what would be skipped.",
    )
    validate.add_argument("file", metavar="FILE")
    validate.set_defaults(run=cmd_platforms_validate)

    convert = sub.add_parser(
        "import",
        help="convert a Sherlock, WhatsMyName or Maigret database to handlecheck's format",
        description="Convert a community database (the format is detected from the content) to a "
        "handlecheck platform file. Entries that cannot be used are listed on stderr with the reason.",
    )
    convert.add_argument("file", metavar="FILE")
    convert.add_argument("-o", "--output", metavar="FILE", help="write the YAML here instead of stdout")
    convert.add_argument("--nsfw", action="store_true", help="keep entries the database marks NSFW")
    convert.set_defaults(run=cmd_platforms_import)

    check_rules = sub.add_parser(
        "selfcheck",
        help="prove each platform's rule online: its canary must be taken, a random name must not",
        description="For each platform, check its known.taken canary (must be taken) and a random name that "
        "fits its handle rule (must not be taken). Reports working, broken, unreachable or untested. "
        "Exit 1 when a rule is broken, 3 when nothing could be reached.",
    )
    _add_selection(check_rules, skip_file=False)
    _add_http(check_rules)
    check_rules.add_argument("--format", "-f", choices=("table", "json"), default="table")
    check_rules.add_argument("-o", "--output", metavar="FILE", help="write the report here instead of stdout")
    check_rules.add_argument(
        "--skip-file",
        dest="skip_file_out",
        metavar="FILE",
        help="write the ids of broken platforms to FILE, for check --skip-file",
    )
    check_rules.add_argument("--seed", type=int, help="seed for the random names (repeatable runs)")
    check_rules.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    check_rules.set_defaults(run=cmd_platforms_selfcheck)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="handlecheck: %(levelname)s: %(message)s",
        stream=sys.stderr,
    )
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        return run(args)
    except HandlecheckError as exc:
        print(f"handlecheck: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("handlecheck: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        sys.stderr.close()
        return EXIT_OK


def console() -> int:
    """The `handlecheck` program: `main` in a process of its own, tuned for it."""
    aio.tune_garbage_collector()
    return main()


def _selection(args: argparse.Namespace) -> Selection:
    """The platform selection the command line gives (empty where it gives none)."""
    return Selection(
        file=args.platforms,
        add=tuple(args.add_platforms),
        only=tuple(args.only),
        tags=tuple(args.tags),
        exclude=tuple(args.exclude),
        nsfw=args.nsfw,
        skip_file=getattr(args, "skip_file", None),
    )


def _chosen_platforms(args: argparse.Namespace, config: Config | None = None) -> tuple[Platform, ...]:
    selection = _selection(args)
    chosen = choose_platforms(config.selection.overridden_by(selection) if config else selection)
    if chosen.left_out:
        print(
            f"handlecheck: note: {chosen.left_out} platform entries left out "
            "(see why with: handlecheck platforms validate FILE)",
            file=sys.stderr,
        )
    return chosen.platforms


def _http_options(args: argparse.Namespace) -> HttpOptions:
    return HttpOptions(
        concurrency=args.concurrency,
        host_concurrency=args.host_concurrency,
        host_interval=args.host_interval,
        timeout=args.timeout,
        retries=args.retries,
        max_retry_after=args.max_retry_after,
        rate_limit_budget=args.rate_limit_budget,
        max_body_bytes=args.max_body,
        max_redirects=args.max_redirects,
        proxy=args.proxy,
        user_agent=args.user_agent,
    )


def _open_output(stack: ExitStack, path: str | None) -> IO[str]:
    if path is None:
        return sys.stdout
    try:
        return stack.enter_context(open(path, "w", encoding="utf-8", newline=""))
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None


def _use_color(args: argparse.Namespace, out: IO[str]) -> bool:
    if args.color != "auto":
        return bool(args.color == "always")
    return out.isatty() and "NO_COLOR" not in os.environ


def cmd_check(args: argparse.Namespace) -> int:
    handles = list(dict.fromkeys(normalise(h) for h in args.handles))
    platforms = _chosen_platforms(args)
    options = _http_options(args)
    results: list[Result] = []
    interrupted = False
    started = time.monotonic()
    with ExitStack() as stack:
        out = _open_output(stack, args.output)
        streaming = args.format in STREAMING_FORMATS
        if args.format == "csv":
            out.write(csv_header())
        progress = tqdm(
            total=len(handles) * len(platforms),
            unit="check",
            file=sys.stderr,
            disable=args.no_progress or not sys.stderr.isatty(),
            leave=False,
        )
        stack.callback(progress.close)

        def record(result: Result) -> None:
            results.append(result)
            progress.update()
            if streaming:
                out.write(jsonl_line(result) if args.format == "jsonl" else csv_line(result))
                out.flush()

        try:
            aio.run(_collect(args.handles, platforms, options, record))
        except KeyboardInterrupt:
            interrupted = True
        progress.close()
        summary = summarise(results, time.monotonic() - started)
        unreachable = summary.unreachable and not interrupted
        if not streaming and (args.output or not unreachable):
            if args.format == "json":
                out.write(render_json(results, summary))
            else:
                by_id = {p.id: p for p in platforms}
                out.write(render_table(results, summary, by_id, color=_use_color(args, out)))
    if interrupted:
        total = len(handles) * len(platforms)
        print(
            f"handlecheck: interrupted after {len(results)} of {total} checks; those results are kept", file=sys.stderr
        )
        return EXIT_INTERRUPTED
    if unreachable:
        _say_unreachable(summary.unreachable_cause)
        return EXIT_UNREACHABLE
    return EXIT_OK


def _say_unreachable(cause: str) -> None:
    print(f"handlecheck: error: no platform could be reached ({cause}); check the network or --proxy", file=sys.stderr)


async def _collect(
    handles: Sequence[str],
    platforms: Sequence[Platform],
    options: HttpOptions,
    record: Callable[[Result], None],
) -> None:
    """`handlecheck.check` on the handles as typed (it normalises them itself)."""
    async for result in check(handles, platforms, options=options):
        record(result)


def cmd_lookalikes(args: argparse.Namespace) -> int:
    brand = args.brand.strip()
    if not brand or not Brand.parse(brand).handle.isascii() or len(brand) > 100:
        raise InputError(f"brand {args.brand[:60]!r} must have letters or digits (100 characters at most)")
    techniques = parse_techniques(args.techniques)
    affixes = read_affixes(args.affixes)
    if args.check:
        return _hunt(args, brand, techniques, affixes)
    platform = None
    if args.platform:
        platform = select(load_catalogue(args.platforms, nsfw=args.nsfw).platforms, only=[args.platform])[0]
    candidates = generate(
        brand, techniques=techniques, affixes=affixes, keyboard=args.keyboard, platform=platform, limit=args.max
    )
    with ExitStack() as stack:
        _open_output(stack, args.output).write(render_candidates(brand, candidates, args.format))
    return EXIT_OK


def _hunt(
    args: argparse.Namespace, brand: str, techniques: tuple[Technique, ...] | None, affixes: tuple[str, ...]
) -> int:
    platforms = _chosen_platforms(args)
    owned = [Owned.parse(text) for text in args.owned]
    depth = Depth(args.depth)
    total = len(plan(brand, platforms, depth, techniques=techniques, affixes=affixes, keyboard=args.keyboard))
    progress = tqdm(total=total, unit="check", file=sys.stderr, disable=args.no_progress or not sys.stderr.isatty(),
                    leave=False)  # fmt: skip

    def advance(_: Result) -> None:
        progress.update()

    report = aio.run(
        hunt(brand, platforms, depth=depth, owned=owned, own_domains=args.domain, options=_http_options(args),
             techniques=techniques, affixes=affixes, keyboard=args.keyboard, on_result=advance)
    )  # fmt: skip
    progress.close()
    summary = summarise(report.results)
    with ExitStack() as stack:
        _open_output(stack, args.output).write(render_findings(report, depth, summary, args.format))
    if summary.unreachable:
        _say_unreachable(summary.unreachable_cause)
        return EXIT_UNREACHABLE
    return EXIT_OK


EXTENSIONS = {"table": "txt", "markdown": "md", "json": "json", "csv": "csv", "html": "html", "junit": "xml"}
SCAN_RENDERERS: dict[str, Callable[[ScanReport], str]] = {
    "table": render_scan_table, "markdown": render_markdown, "json": render_scan_json,
    "csv": render_scan_csv, "html": render_html, "junit": lambda report: render_junit([report]),
}  # fmt: skip


def cmd_scan(args: argparse.Namespace) -> int:
    policies = parse_policies(args.fail_on)
    if args.input:
        if not args.out:
            raise InputError("--input needs --out DIR for the per-brand reports")
        if args.baseline:
            raise InputError("--baseline holds one brand; with --input the history database is the baseline")
        configs = [replace(c, depth=Depth(args.depth)) if args.depth else c for c in read_brands(args.input)]
        if not configs:
            raise InputError(f"{args.input}: no brands")
    else:
        path = find_config(args.config)
        if path is None and not args.brand:
            raise InputError("no brand: give one (handlecheck scan acme) or write a config (handlecheck init)")
        config = overlay(
            load_config(path) if path is not None else None,
            brand=args.brand,
            aliases=args.alias,
            owned=[Owned.parse(text) for text in args.owned],
            email_domain=args.email_domain,
            domains=args.domain,
            depth=Depth(args.depth) if args.depth else None,
        )
        if not Brand.parse(config.brand).handle:
            raise InputError(f"brand {config.brand[:60]!r} has no letters or digits")
        configs = [config]
    platforms = _chosen_platforms(args, configs[0] if not args.input else None)
    out_dir = Path(args.out) if args.out else None
    if out_dir is not None:
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"cannot create {out_dir}: {exc.strerror or exc}") from None
    first = configs[0]
    per_brand = len(variants(first.brand, first.aliases)) * len(platforms) + len(
        plan(first.brand, platforms, first.depth)
    )
    total = per_brand * len(configs)  # an estimate for the progress bar
    with ExitStack() as stack:
        history = None if args.no_db else stack.enter_context(History(args.db or default_path()))
        bar = tqdm(total=total, unit="check", file=sys.stderr, disable=args.no_progress or not sys.stderr.isatty(),
                   leave=False)  # fmt: skip
        stack.callback(bar.close)
        run = _BulkRun(args, platforms, history, bar, out_dir, policies)
        try:
            aio.run(run.scan_all(configs))
        except KeyboardInterrupt:
            written = run.write_partial()
            print(f"handlecheck: interrupted; partial reports written for {written} brands, "
                  "the rest resumes on the next run", file=sys.stderr)  # fmt: skip
            return EXIT_INTERRUPTED
        bar.close()
        run.finish()
        for line in run.violations:
            print(f"handlecheck: fail: {line}", file=sys.stderr)
        if run.violations:
            return EXIT_POLICY
        if run.unreachable is not None:
            _say_unreachable(run.unreachable)
            return EXIT_UNREACHABLE
        if run.incomplete:  # whatever the policy: an incomplete scan never passes as clean
            names = ", ".join(run.incomplete[:10])
            print(f"handlecheck: incomplete: too many unknown answers on critical/high platforms ({names})",
                  file=sys.stderr)  # fmt: skip
            return EXIT_UNREACHABLE
    return EXIT_OK


class _BulkRun:
    """The command line's side of a scan over one or many brands: progress, report files and
    the summary table. The scanning, the history and the policy are `bulk.BulkScan`'s."""

    def __init__(
        self, args: argparse.Namespace, platforms: Sequence[Platform], history: History | None, bar: tqdm[Any],
        out_dir: Path | None, policies: frozenset[FailOn],
    ) -> None:  # fmt: skip
        self.args = args
        self.bar = bar
        self.out_dir = out_dir
        self.scanner = BulkScan(
            platforms,
            options=_http_options(args),
            history=history,
            max_age=timedelta(hours=args.max_age),
            baseline=read_baseline(args.baseline) if args.baseline else None,
            compare_with_history=not args.baseline,
            policies=policies,
            on_result=self._advance,
        )
        self.violations: list[str] = []
        self.incomplete: list[str] = []
        self.unreachable: str | None = None  # why nothing answered, in a one-brand run
        self.written: list[ScanReport] = []
        self.bulk = out_dir is not None and bool(args.input)
        self.brands_done = 0

    def _advance(self, _: Result) -> None:
        self.bar.update()

    async def scan_all(self, configs: Sequence[Config]) -> None:
        async for outcome in self.scanner.run(configs):
            self.brands_done += 1
            self.bar.set_postfix_str(f"{self.brands_done}/{len(configs)} brands", refresh=False)
            self._conclude(outcome)

    def _conclude(self, outcome: BrandOutcome) -> None:
        report = outcome.report
        self.violations += outcome.violations
        if report.incomplete:
            self.incomplete.append(report.brand)
        mine = summarise(r for r in report.results if r.handle == report.handle)
        if not self.bulk and mine.unreachable:
            self.unreachable = mine.unreachable_cause
        if self.args.baseline and self.args.update_baseline:
            write_baseline(self.args.baseline, outcome.snapshot)
        self._write(report)

    def _write(self, report: ScanReport) -> None:
        fmt = self.args.format
        if not self.bulk:
            with ExitStack() as stack:
                _open_output(stack, self.args.output).write(SCAN_RENDERERS[fmt](report))
            return
        assert self.out_dir is not None
        name = Brand.parse(report.brand).handle or "brand"
        (self.out_dir / f"{name}.{EXTENSIONS[fmt]}").write_text(SCAN_RENDERERS[fmt](report), encoding="utf-8")
        self.written.append(report)

    def finish(self) -> None:
        if not self.bulk:
            return
        with ExitStack() as stack:
            out = _open_output(stack, self.args.output)
            if self.args.format == "junit":
                out.write(render_junit(self.written))
            else:
                out.write(render_bulk_summary(self.written, str(self.out_dir)))

    def write_partial(self) -> int:
        """Reports for the brands a Ctrl-C stopped, from what they had gathered; how many."""
        partial = self.scanner.partial_reports()
        for report in partial:
            self._write(report)
        self.finish()
        return len(partial)


def cmd_init(args: argparse.Namespace) -> int:
    path = Path(args.output)
    if path.exists() and not args.force:
        raise InputError(f"{path} exists already (--force overwrites it)")
    try:
        path.write_text(starter(args.brand), encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
    print(f"wrote {path}: edit it, then run: handlecheck scan")
    return EXIT_OK


def cmd_history(args: argparse.Namespace) -> int:
    with History(args.db or default_path()) as history:
        scans = history.scans(args.brand)
    sys.stdout.write(render_history(args.brand, scans, args.format))
    return EXIT_OK


def cmd_diff(args: argparse.Namespace) -> int:
    with History(args.db or default_path()) as history:
        scans = history.scans(args.brand)
        if not scans:
            raise InputError(f"no scans of {args.brand} in the history")
        latest = scans[0]
        older = earlier_scan(scans, latest, args.since)
        changes = compare(from_history(history, older.id, args.brand), from_history(history, latest.id, args.brand))
    sys.stdout.write(render_diff(args.brand, older, latest, changes, args.format))
    return EXIT_OK


def cmd_platforms_list(args: argparse.Namespace) -> int:
    sys.stdout.write(render_platform_list(_chosen_platforms(args), os.environ, args.format))
    return EXIT_OK


def cmd_platforms_validate(args: argparse.Namespace) -> int:
    text, _ = read_file(args.file)
    document = json_document(text)
    if document is not None and not is_native(document):
        conversion = import_file(args.file)
        catalogue = conversion.catalogue
        print(
            f"{args.file}: {catalogue.format} database: {len(catalogue.platforms)} platforms import, "
            f"{len(catalogue.skipped)} left out"
        )
        for skipped in catalogue.skipped:
            print(f"  {printable(skipped.name, 60)}: {printable(skipped.reason, 200)}")
        return EXIT_OK
    platforms, errors = validate_file(args.file)
    for error in errors:
        print(f"handlecheck: error: {error}", file=sys.stderr)
    if errors:
        print(f"{args.file}: {len(errors)} errors, {len(platforms)} platforms without errors", file=sys.stderr)
        return EXIT_USAGE
    print(f"{args.file}: {len(platforms)} platforms, no errors")
    return EXIT_OK


def cmd_platforms_import(args: argparse.Namespace) -> int:
    conversion = import_file(args.file, nsfw=args.nsfw)
    catalogue = conversion.catalogue
    header = (
        f"# Converted by handlecheck from {Path(args.file).name} ({catalogue.format} format).\n"
        "# The detection facts come from that database and its licence applies to them.\n"
    )
    document = {"version": 1, "platforms": list(conversion.entries)}
    with ExitStack() as stack:
        out = _open_output(stack, args.output)
        out.write(header + dump_yaml(document))
    for skipped in catalogue.skipped:
        print(f"handlecheck: left out {printable(skipped.name, 60)}: {printable(skipped.reason, 200)}", file=sys.stderr)
    print(
        f"handlecheck: {len(catalogue.platforms)} platforms converted, {len(catalogue.skipped)} left out",
        file=sys.stderr,
    )
    return EXIT_OK


def cmd_platforms_selfcheck(args: argparse.Namespace) -> int:
    platforms = _chosen_platforms(args)
    reports: list[PlatformHealth] = []
    progress = tqdm(
        total=len(platforms),
        unit="platform",
        file=sys.stderr,
        disable=args.no_progress or not sys.stderr.isatty(),
        leave=False,
    )

    async def run() -> None:
        async for report in selfcheck(platforms, _http_options(args), seed=args.seed):
            reports.append(report)
            progress.update()

    interrupted = False
    try:
        aio.run(run())
    except KeyboardInterrupt:
        interrupted = True
    progress.close()
    counts = health_counts(reports)
    with ExitStack() as stack:
        _open_output(stack, args.output).write(render_selfcheck(reports, args.format))
    if args.skip_file_out:
        written = write_skip_file(args.skip_file_out, reports)
        print(f"handlecheck: {written} broken platform ids written to {args.skip_file_out}", file=sys.stderr)
    if interrupted:
        return EXIT_INTERRUPTED
    if counts[Health.BROKEN.value]:
        return EXIT_POLICY
    if reports and counts[Health.UNREACHABLE.value] == len(reports):
        print("handlecheck: error: no platform could be reached; check the network or --proxy", file=sys.stderr)
        return EXIT_UNREACHABLE
    return EXIT_OK
