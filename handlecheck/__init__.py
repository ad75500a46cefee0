"""handlecheck: hold your brand's name on every platform, and know when a lookalike appears.

    async for result in handlecheck.check(["acme"]):
        print(result.platform, result.verdict)

    report = handlecheck.scan_sync("Acme")     # the whole job: what `handlecheck scan` prints

`__all__` is the public API; `handlecheck.api` documents each job.
"""

from __future__ import annotations

from .alerts import Alert, AlertKind
from .api import (
    PlatformSource,
    brand_config,
    check,
    check_sync,
    diff,
    hunt,
    hunt_sync,
    runbook,
    scan,
    scan_many,
    scan_many_sync,
    scan_sync,
    selfcheck,
    selfcheck_sync,
)
from .candidates import generate
from .config import Account, Config, Contact, Selection, load_config
from .domain import (
    Candidate,
    Classification,
    Depth,
    Evidence,
    Finding,
    HuntReport,
    Owned,
    ScanReport,
    Technique,
    TodoItem,
)
from .errors import ConfigError, HandlecheckError, InputError
from .evidence.keeper import EvidencePlan, Scope
from .models import Platform, Priority, Reason, Result, Verdict
from .net.checker import Checker
from .net.http import HttpOptions
from .notify.targets import Target, parse_target
from .pipeline.alerting import notify_run as notify
from .pipeline.bulk import BrandOutcome
from .pipeline.selfcheck import Health, PlatformHealth
from .policy import Change, FailOn, parse_policies
from .registry import load_catalogue, load_platforms, parse_platforms, select
from .registry.select import Chosen, choose_platforms
from .report.runbook import render_runbook
from .rules.handles import normalise
from .runbook import Runbook
from .store.history import History

__version__ = "0.1.0"

__all__ = [
    "Account",
    "Alert",
    "AlertKind",
    "BrandOutcome",
    "Candidate",
    "Change",
    "Checker",
    "Chosen",
    "Classification",
    "Config",
    "ConfigError",
    "Contact",
    "Depth",
    "Evidence",
    "EvidencePlan",
    "FailOn",
    "Finding",
    "HandlecheckError",
    "Health",
    "History",
    "HttpOptions",
    "HuntReport",
    "InputError",
    "Owned",
    "Platform",
    "PlatformHealth",
    "PlatformSource",
    "Priority",
    "Reason",
    "Result",
    "Runbook",
    "ScanReport",
    "Scope",
    "Selection",
    "Target",
    "Technique",
    "TodoItem",
    "Verdict",
    "__version__",
    "brand_config",
    "check",
    "check_sync",
    "choose_platforms",
    "diff",
    "generate",
    "hunt",
    "hunt_sync",
    "load_catalogue",
    "load_config",
    "load_platforms",
    "normalise",
    "notify",
    "parse_platforms",
    "parse_policies",
    "parse_target",
    "render_runbook",
    "runbook",
    "scan",
    "scan_many",
    "scan_many_sync",
    "scan_sync",
    "select",
    "selfcheck",
    "selfcheck_sync",
]
