"""What every command shares: exit codes, the options it builds from flags, where output goes."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
from collections.abc import Callable, Iterable, Sequence
from contextlib import ExitStack
from typing import IO, Any

from tqdm import tqdm

from ..aio import Stopped
from ..config import DEFAULT_TLDS, Config, Selection
from ..files import atomic_output
from ..models import Platform
from ..net.http import HttpOptions
from ..registry.domains import domain_platforms, load_bootstrap, missing_message, servable_domain_platforms
from ..registry.select import choose_platforms

EXIT_OK = 0


EXIT_POLICY = 1


EXIT_USAGE = 2


EXIT_UNREACHABLE = 3


EXIT_INTERRUPTED = 128 + signal.SIGINT  # 130, Ctrl-C; SIGTERM and SIGHUP exit 128 + theirs: 143, 129


FORMATS = ("table", "json", "jsonl", "csv")


STREAMING_FORMATS = ("jsonl", "csv")


def selection_of(args: argparse.Namespace) -> Selection:
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


def chosen_platforms(
    args: argparse.Namespace, config: Config | None = None, brands: Iterable[Config] = ()
) -> tuple[Platform, ...]:
    """The run's platforms: the command line's selection over `config`'s. Every platform id
    that `config` or the brand list's rows (`brands`) name is checked against the catalogue."""
    selection = selection_of(args)
    named = (n for c in brands for n in c.named)
    if config is None:
        chosen = choose_platforms(selection, named)
    else:
        chosen = choose_platforms(config.selection.overridden_by(selection), config.named)
    if chosen.left_out:
        print(
            f"handlecheck: note: {chosen.left_out} platform entries left out "
            "(see why with: handlecheck platforms validate FILE)",
            file=sys.stderr,
        )
    return chosen.platforms


def domain_platforms_of(args: argparse.Namespace, default_tlds: Sequence[str] = DEFAULT_TLDS) -> tuple[Platform, ...]:
    """The domain platforms of --tlds (a TLD with no RDAP server is an error), else of
    `default_tlds` (the config's: such a TLD is left out, with a note)."""
    bootstrap = load_bootstrap(args.rdap_bootstrap)
    if args.tlds:
        return domain_platforms(bootstrap, args.tlds)
    platforms, missing = servable_domain_platforms(bootstrap, default_tlds)
    if missing and tuple(default_tlds) != DEFAULT_TLDS:  # the default's gaps (.io, .co) are known: no note
        print(f"handlecheck: note: left out, {missing_message(bootstrap, missing)}", file=sys.stderr)
    return platforms


def scan_domains(args: argparse.Namespace, config: Config | None) -> tuple[Platform, ...]:
    """The brand's domains a scan checks: with --tlds, or when the platforms are picked from the
    bundled catalogue as a whole (no platform file, --only or --tags); none with --no-domains."""
    if args.no_domains:
        return ()
    selection = selection_of(args) if config is None else config.selection.overridden_by(selection_of(args))
    if not args.tlds and not selection.whole_catalogue:
        return ()
    return domain_platforms_of(args, config.tlds if config is not None else DEFAULT_TLDS)


def with_domains(platforms: Sequence[Platform], domains: Sequence[Platform]) -> tuple[Platform, ...]:
    """`platforms` and then `domains`; an id already present keeps its first definition."""
    ids = {p.id for p in platforms}
    return (*platforms, *(d for d in domains if d.id not in ids))


def _tld_list(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def add_domains(parser: argparse.ArgumentParser, *, scan: bool) -> None:
    """The places a name lives besides the catalogue's platforms: domains, and (scan) fediverse servers."""
    group = parser.add_argument_group("domains (checked over RDAP)")
    if scan:
        group.add_argument("--no-domains", action="store_true", help="do not check the brand's domain names")
        parser.add_argument_group("fediverse").add_argument(
            "--fediverse", action="append", default=[], metavar="SERVER",
            help="also ask this fediverse server (host or base URL; repeatable; adds to the config's fediverse:)",
        )  # fmt: skip
    else:
        group.add_argument(
            "--domains", action="store_true", help="with --check: check the candidates as domains too (com, net, ...)"
        )
    group.add_argument(
        "--tlds", type=_tld_list, default=[], metavar="LIST",
        help="these TLDs, comma-separated (default: the config's tlds; a scan with --platforms, --only or "
        "--tags checks domains only when this is given)",
    )  # fmt: skip
    group.add_argument(
        "--rdap-bootstrap", metavar="FILE",
        help="RDAP bootstrap file to use (default: $HANDLECHECK_RDAP_BOOTSTRAP, else the newer of the shipped "
        "copy and the one 'platforms rdap-bootstrap' downloaded)",
    )  # fmt: skip


def http_options(args: argparse.Namespace) -> HttpOptions:
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
        allow_link_local=args.allow_link_local,
    )


def open_output(stack: ExitStack, path: str | None, what: str = "report") -> IO[str]:
    """Stdout, or a file that replaces `path` whole when `stack` closes (see `files`)."""
    if path is None:
        return sys.stdout
    return stack.enter_context(atomic_output(path, what))


def stop_exit(stop: KeyboardInterrupt) -> int:
    """The exit code of a stopped run: 130 after Ctrl-C, 128 + the signal's number after
    SIGTERM (143) or SIGHUP (129), as a shell reports a process its signal ended."""
    return 128 + stop.signum if isinstance(stop, Stopped) else EXIT_INTERRUPTED


def stopped(stop: KeyboardInterrupt) -> str:
    """What stopped a run, for its stderr line: "interrupted" or "stopped by SIGTERM"."""
    return f"stopped by {stop.name}" if isinstance(stop, Stopped) else "interrupted"


def terminal_width(out: IO[str]) -> int | None:
    """How wide a table on `out` may be: $COLUMNS when set, else the terminal's width when `out`
    is one; unlimited in a file or a pipe (`> out.txt` keeps every character)."""
    if out is not sys.stdout:
        return None
    if "COLUMNS" in os.environ or out.isatty():
        return shutil.get_terminal_size().columns
    return None


def use_color(args: argparse.Namespace, out: IO[str]) -> bool:
    if args.color != "auto":
        return bool(args.color == "always")
    return out.isatty() and "NO_COLOR" not in os.environ


def report_shown(output: str | None, unreachable: bool) -> bool:
    """Whether a command writes its report: always into -o FILE; on stdout, not when no platform
    could be reached (then `say_unreachable`'s one line says all a table of `unknown` would)."""
    return bool(output) or not unreachable


def say_unreachable(cause: str) -> None:
    print(f"handlecheck: error: no platform could be reached ({cause}); check the network or --proxy", file=sys.stderr)


PROGRESS_EVERY = 5.0  # seconds between progress lines when stderr is no terminal (a CI log)


class _Lines:
    """A stream that turns tqdm's redrawn bar into one line a refresh, for a log."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def write(self, text: str) -> None:
        line = text.strip("\r ")
        if line:
            self.stream.write(line + "\n")

    def flush(self) -> None:
        self.stream.flush()


def progress_bar(args: argparse.Namespace, unit: str = "check", total: int | None = None) -> tqdm[Any]:
    """The progress on stderr (none with --no-progress): a bar on a terminal; elsewhere, from
    `PROGRESS_EVERY` seconds into the run, a line every `PROGRESS_EVERY` seconds."""
    if sys.stderr.isatty():
        return tqdm(total=total, unit=unit, file=sys.stderr, disable=args.no_progress, leave=False)
    return tqdm(total=total, unit=unit, file=_Lines(sys.stderr), disable=args.no_progress, leave=False,
                mininterval=PROGRESS_EVERY, delay=PROGRESS_EVERY, ascii=True, ncols=100)  # fmt: skip


def expect(bar: tqdm[Any]) -> Callable[[int], None]:
    """A pipeline's `on_planned`: each batch of checks it plans adds to the bar's total."""

    def add(count: int) -> None:
        bar.total = (bar.total or 0) + count
        if not bar.disable and bar.format_dict["elapsed"] >= bar.delay:  # a refresh would show a delayed bar early
            bar.refresh()

    return add
