"""The argument parser: every command, its flags, and its help."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import NoReturn

from .. import __version__
from ..candidates import KEYBOARDS
from ..domain import Depth, Technique
from ..net.http import DEFAULT_USER_AGENT, HttpOptions
from .check import cmd_check
from .common import EXIT_USAGE, FORMATS, add_domains
from .evidence import add_evidence_command
from .history import add_history_commands
from .lookalikes import cmd_lookalikes
from .parser_types import id_list, non_negative_int, positive_int, seconds
from .platforms import (
    add_rdap_bootstrap,
    cmd_platforms_import,
    cmd_platforms_list,
    cmd_platforms_selfcheck,
    cmd_platforms_validate,
)
from .runbook import add_runbook_command
from .scan import cmd_scan
from .scan_args import SCAN_FORMATS, add_ci
from .worker import add_worker_command


def add_selection(parser: argparse.ArgumentParser, *, skip_file: bool = True) -> None:
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
    group.add_argument("--only", metavar="IDS", type=id_list, default=[], help="comma-separated platform ids")
    group.add_argument("--tags", metavar="TAGS", type=id_list, default=[], help="platforms with any of these tags")
    group.add_argument("--exclude", metavar="IDS", type=id_list, default=[], help="platform ids to leave out")
    if skip_file:
        group.add_argument(
            "--skip-file", metavar="FILE", help="leave out the platform ids listed in FILE (from platforms selfcheck)"
        )


def add_http(parser: argparse.ArgumentParser) -> None:
    defaults = HttpOptions()
    group = parser.add_argument_group("network")
    group.add_argument(
        "--concurrency",
        type=positive_int,
        metavar="N",
        default=defaults.concurrency,
        help="requests in flight overall, a cap on sockets and memory; each host keeps its own pace "
        "(default %(default)s)",
    )
    group.add_argument(
        "--host-concurrency",
        type=positive_int,
        metavar="N",
        default=defaults.host_concurrency,
        help="requests in flight per host, unless the platform sets its own (default %(default)s)",
    )
    group.add_argument(
        "--host-interval",
        type=seconds,
        default=defaults.host_interval,
        metavar="SECONDS",
        help="minimum gap between requests to one host (default %(default)s)",
    )
    group.add_argument(
        "--timeout",
        type=seconds,
        default=defaults.timeout,
        metavar="SECONDS",
        help="per-request timeout (default %(default)s)",
    )
    group.add_argument(
        "--retries",
        type=non_negative_int,
        metavar="N",
        default=defaults.retries,
        help="retries after a network error or 5xx; a 429 waits its turn instead (default %(default)s)",
    )
    group.add_argument(
        "--max-retry-after",
        type=seconds,
        default=defaults.max_retry_after,
        metavar="SECONDS",
        help="longest Retry-After honoured; a longer one ends the check rate_limited and closes the host for the "
        "run (default %(default)s)",
    )
    group.add_argument(
        "--rate-limit-budget",
        type=seconds,
        default=defaults.rate_limit_budget,
        metavar="SECONDS",
        help="how long a host that answers 429 may slow the run down before its checks end rate_limited "
        "(default %(default)s)",
    )
    group.add_argument(
        "--max-body",
        type=positive_int,
        default=defaults.max_body_bytes,
        metavar="BYTES",
        help="bytes of a response body read at most (default %(default)s)",
    )
    group.add_argument(
        "--max-redirects",
        type=non_negative_int,
        metavar="N",
        default=defaults.max_redirects,
        help="redirects followed at most (default %(default)s)",
    )
    group.add_argument("--proxy", metavar="URL", help="send every request through this HTTP proxy")
    group.add_argument(
        "--allow-link-local",
        action="store_true",
        help="let requests go to link-local and cloud metadata addresses (169.254.0.0/16, fe80::/10, "
        "fd00:ec2::254, 100.100.100.200), which are refused by default",
    )
    group.add_argument(
        "--user-agent",
        default=DEFAULT_USER_AGENT,
        metavar="UA",
        help="User-Agent header (default: a current desktop browser)",
    )


def add_output(parser: argparse.ArgumentParser, formats: Sequence[str]) -> None:
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


class OneLineParser(argparse.ArgumentParser):
    """An argument error is one line naming the command, the fault and where help is, not the
    whole usage (two dozen lines for `scan`) above it."""

    given: tuple[str, ...] = ()

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        self.given = tuple(sys.argv[1:] if args is None else args)
        return super().parse_known_args(args, namespace)

    def error(self, message: str) -> NoReturn:
        if self._subparsers is not None and message.startswith("the following arguments are required"):
            strays = self._strays()
            if strays:  # the cause, not its consequence
                message = f"unrecognized arguments: {' '.join(strays)}"
        hint = f"see {self.prog} --help"
        if "required: HANDLE" in message or "required: BRAND" in message:
            hint += f"; a name that starts with '-' goes after --, as in: {self.prog} -- -acme"
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} ({hint})\n")

    def _strays(self) -> list[str]:
        """The options given that this parser does not know: `handlecheck --bogus` is about
        `--bogus`, not about the command argparse found missing after passing it by."""
        return [
            arg for arg in self.given
            if arg.startswith("-") and arg != "--" and arg.split("=", 1)[0] not in self._option_string_actions
        ]  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = OneLineParser(
        prog="handlecheck",
        description="Check whether a brand's handle is registered on social platforms.",
        epilog=(
            "Exit codes: 0 done, 1 a --fail-on policy matched (platforms selfcheck: a rule is broken), 2 usage or "
            "input error, 3 nothing reached or the scan incomplete, 130 interrupted (143 SIGTERM, 129 SIGHUP)."
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
    add_selection(check)
    add_http(check)
    add_output(check, FORMATS)
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
    looks.add_argument(
        "--max", type=positive_int, metavar="N", help="at most N candidates (per platform; default: all of them)"
    )
    looks.add_argument(
        "--techniques",
        type=id_list,
        metavar="LIST",
        help="only these (default: all): " + ", ".join(t.value for t in Technique),
    )
    looks.add_argument("--affixes", metavar="FILE", help="affixes to use instead of the defaults, one per line")
    looks.add_argument(
        "--keyboard", action="append", choices=list(KEYBOARDS),
        help="keyboard layout for typo neighbours; repeat for several (default: all three)",
    )  # fmt: skip
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
    add_selection(looks)
    add_domains(looks, scan=False)
    add_http(looks)
    add_output(looks, ("table", "json", "jsonl", "csv"))
    looks.set_defaults(run=cmd_lookalikes)

    scan_cmd = commands.add_parser(
        "scan",
        help="the whole job: the brand everywhere, its lookalikes, and a prioritised to-do list",
        description="Check the brand's handle, its variants and aliases on every selected platform, find and "
        "score lookalike accounts, and turn it all into a to-do list: register, report, claim, fix, secure, "
        "verify, retry, watch. Settings come from handlecheck.yaml (--config, $HANDLECHECK_CONFIG, or the nearest one "
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
    add_ci(scan_cmd)
    add_selection(scan_cmd)
    add_domains(scan_cmd, scan=True)
    add_http(scan_cmd)
    add_output(scan_cmd, SCAN_FORMATS)
    scan_cmd.set_defaults(run=cmd_scan)

    add_history_commands(commands)
    add_evidence_command(commands)
    add_runbook_command(commands)
    add_worker_command(commands)

    platforms = commands.add_parser(
        "platforms",
        help="list, validate, import and self-check platform files",
        description="Work with platform files: the bundled catalogue, your own, or a community database.",
        epilog="Examples:\n  handlecheck platforms list --tags developer\n  handlecheck platforms validate my.yaml",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = platforms.add_subparsers(dest="platforms_command", metavar="ACTION", required=True)
    listing = sub.add_parser(
        "list",
        help="list the platforms of a file (the bundled catalogue by default)",
        description="List the selected platforms of a platform file (the bundled catalogue by default): id, "
        "name, priority and tags.",
        epilog="Examples:\n  handlecheck platforms list\n  handlecheck platforms list --format json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_selection(listing)
    listing.add_argument(
        "--format", "-f", choices=("table", "json", "csv"), default="table", help="default %(default)s"
    )
    listing.set_defaults(run=cmd_platforms_list)

    validate = sub.add_parser(
        "validate",
        help="report every error of a platform file (exit 2 when it has one)",
        description="Schema and semantic errors of a handlecheck platform file, each with file, line and "
        "YAML path; for a community database, what would import and what would be skipped.",
        epilog="Examples:\n  handlecheck platforms validate mine.yaml\n  handlecheck platforms validate sherlock.json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    validate.add_argument(
        "file", metavar="FILE", help="a platform file: handlecheck YAML, Sherlock, WhatsMyName or Maigret"
    )
    validate.set_defaults(run=cmd_platforms_validate)

    convert = sub.add_parser(
        "import",
        help="convert a Sherlock, WhatsMyName or Maigret database to handlecheck's format",
        description="Convert a community database (the format is detected from the content) to a "
        "handlecheck platform file. Entries that cannot be used are listed on stderr with the reason.",
        epilog="Examples:\n  handlecheck platforms import sherlock.json -o sherlock.yaml",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    convert.add_argument("file", metavar="FILE", help="a Sherlock, WhatsMyName or Maigret database (JSON)")
    convert.add_argument("-o", "--output", metavar="FILE", help="write the YAML here instead of stdout")
    convert.add_argument("--nsfw", action="store_true", help="keep entries the database marks NSFW")
    convert.set_defaults(run=cmd_platforms_import)

    check_rules = sub.add_parser(
        "selfcheck",
        help="prove each platform's rule online: its canary must be taken, a random name must not",
        description="For each platform, check its known.taken canary (must be taken) and a random name that "
        "fits its handle rule (must not be taken). Reports working, broken, unreachable or untested. "
        "Exit 1 when a rule is broken, 3 when nothing could be reached.",
        epilog="Examples:\n  handlecheck platforms selfcheck --only github,reddit --skip-file broken.txt",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_selection(check_rules, skip_file=False)
    add_http(check_rules)
    check_rules.add_argument("--format", "-f", choices=("table", "json"), default="table", help="default %(default)s")
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
    add_http(add_rdap_bootstrap(sub))
    return parser
