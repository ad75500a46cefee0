"""`handlecheck worker --broker URL`: one machine's share of a fleet's checks."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from .. import aio
from ..broker import MISSING, Broker
from ..broker.wire import REDELIVER_AFTER, TASKS
from ..errors import InputError
from .common import EXIT_OK
from .parser_types import seconds, whole_number


def add_worker_command(commands: argparse._SubParsersAction[Any]) -> None:
    worker = commands.add_parser(
        "worker",
        help="take checks from a fleet's broker and answer them (run one on each machine)",
        description="Serve a fleet: take the checks that `handlecheck scan --broker URL` queues in Redis, ask the "
        "platforms from this machine (its network, its proxy, the platform credentials in its environment), and "
        "send the answers back. Every worker holds each platform to one budget shared in Redis, so a fleet never "
        "asks a platform faster or more at once than its entry allows. Runs until stopped (Ctrl-C, SIGTERM); "
        "the checks it had taken go to another worker. A broker that goes away (restarted, unreachable) is waited "
        "for, and the worker takes checks again once it is back.",
        epilog="Examples:\n  handlecheck worker --broker redis://queue.internal:6379/0   "
        "# with HANDLECHECK_BROKER_KEY set, the same on every machine\n"
        "  handlecheck worker --broker redis://queue.internal:6379/0 --tasks 512 --proxy http://proxy:3128",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    worker.add_argument("--broker", required=True, metavar="URL", help="the fleet's Redis, e.g. redis://HOST:6379/0")
    worker.add_argument("--tasks", type=whole_number(1), default=TASKS, metavar="N",
                        help="checks this worker keeps in progress at once (default %(default)s)")  # fmt: skip
    worker.add_argument("--redeliver-after", type=seconds, default=REDELIVER_AFTER, metavar="SECONDS",
                        help="take over a check another worker took and left unanswered this long: it died "
                        "(default %(default)s)")  # fmt: skip
    worker.add_argument("--proxy", metavar="URL", help="this machine's HTTP proxy for the platforms")
    worker.set_defaults(run=cmd_worker)


def cmd_worker(args: argparse.Namespace) -> int:
    broker = Broker.from_environment(args.broker, os.environ)
    try:
        from ..broker.worker import serve, worker_name
    except ImportError:
        raise InputError(MISSING) from None
    print(f"handlecheck: worker {worker_name()}: taking checks from {broker.shown}", file=sys.stderr, flush=True)
    try:
        aio.run(serve(broker, tasks=args.tasks, redeliver_after=args.redeliver_after, proxy=args.proxy), uvloop=False)
    except KeyboardInterrupt:
        print("handlecheck: worker stopped; the checks it had not answered go to another worker", file=sys.stderr)
    return EXIT_OK
