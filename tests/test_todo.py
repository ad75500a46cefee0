"""From verdicts and findings to the best common handle and the to-do list, on hand-built values."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from handlecheck.cli import main
from handlecheck.config import Account, Config, Owners
from handlecheck.domain import Action, BestHandle, Candidate, Classification, Finding, Owned, Technique, Tier
from handlecheck.models import (
    Case,
    Channel,
    Cost,
    HandleRule,
    Help,
    Offered,
    Platform,
    Priority,
    Reason,
    Result,
    Urls,
    Verdict,
)
from handlecheck.todo import SECURITY_STEPS, best_handle, build_todo, variants
from tests.conftest import PlatformFile, profile_entry
from tests.simulator import Simulator, profiles, slow

WHEN = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
SUPPORT = Candidate("acme_support", (Technique.AFFIX,), Tier.COMBO, "support", "acme")


def platform(
    pid: str, priority: Priority = Priority.NORMAL, *, cased: bool = False, tags: tuple[str, ...] = ()
) -> Platform:
    urls = Urls(f"https://{pid}.test/{{{{handle}}}}", f"https://{pid}.test/signup", f"https://{pid}.test/report")
    rule = HandleRule(case=Case.SENSITIVE) if cased else HandleRule()
    return Platform(pid, pid.title(), (), tags=tags, priority=priority, urls=urls, handle=rule)


def result(pid: str, handle: str, verdict: Verdict, reason: Reason | None = None) -> Result:
    return Result(handle, pid, verdict, reason, f"https://{pid}.test/{handle}", 200, 0, f"{pid} said {verdict}", WHEN)


def finding(pid: str, handle: str, classification: Classification, risk: int, url: str | None = None) -> Finding:
    reasons = ("handle: phishing affix", "display name reads as the brand", "offers 'support'")
    return Finding(pid, handle, url, SUPPORT, classification, risk, reasons, None, WHEN)


CRITICAL, HIGH, NORMAL, LOW = (platform(p, q) for p, q in zip(("crit", "high", "norm", "low"), Priority, strict=True))


# --- variants and the best handle ------------------------------------------------------------


def test_variants_of_the_brand_then_its_aliases() -> None:
    assert variants("Acme") == (
        "acme",
        "acmehq",
        "getacme",
        "acmeapp",
        "acme_official",
        "theacme",
        "acmeofficial",
        "realacme",
        "acme_hq",
        "tryacme",
    )
    coffee = variants("Acme Coffee", [" @acmecafe ", "", "  ", "acmecoffeehq", "acmecafe"])
    assert coffee[0] == "acmecoffee" and coffee[-2:] == ("tryacmecoffee", "acmecafe")
    assert len(coffee) == 11, "aliases cleaned; blanks and duplicates (of aliases and of variants) dropped"


def test_best_handle_weighs_free_platforms_by_priority() -> None:
    platforms = [CRITICAL, HIGH, NORMAL, LOW]
    results = [
        result("crit", "acme", Verdict.TAKEN),
        result("high", "acme", Verdict.AVAILABLE),
        result("norm", "acme", Verdict.AVAILABLE),
        result("low", "acme", Verdict.AVAILABLE),
        result("crit", "acmehq", Verdict.AVAILABLE),
        result("high", "acmehq", Verdict.TAKEN),
        result("norm", "acmehq", Verdict.UNKNOWN, Reason.TIMEOUT),
        result("low", "acmehq", Verdict.AVAILABLE),
    ]
    best = best_handle(["acme", "acmehq"], results, platforms, Config(brand="Acme"))
    assert best == BestHandle("acmehq", 9, 15, ("crit", "low")), "8 + 1 beats 4 + 2 + 1"


def test_a_handle_the_brand_already_holds_counts_as_covered() -> None:
    platforms = [CRITICAL, platform("cased", Priority.HIGH, cased=True)]
    results = [result("crit", "acme", Verdict.TAKEN), result("cased", "acme", Verdict.TAKEN)]
    config = Config(brand="Acme", owned=(Owned("crit", "ACME"), Owned("cased", "ACME")))
    best = best_handle(["acme"], results, platforms, config)
    assert best == BestHandle("acme", 8, 12, ("crit",)), "case matters only where the platform says so"


def test_best_handle_ties_go_to_the_earlier_handle() -> None:
    results = [result("norm", "acme", Verdict.AVAILABLE), result("norm", "acmehq", Verdict.AVAILABLE)]
    best = best_handle(["acme", "acmehq"], results, [NORMAL], Config(brand="Acme"))
    assert best is not None and best.handle == "acme"
    assert best_handle([], results, [NORMAL], Config(brand="Acme")) is None


# --- the to-do list ----------------------------------------------------------------------


def test_each_verdict_becomes_its_action() -> None:
    platforms = [platform(p) for p in ("free", "held", "kept", "asked", "nocred", "bad", "gone")]
    results = [
        result("free", "acme", Verdict.AVAILABLE),
        result("held", "acme", Verdict.TAKEN),
        result("kept", "acme", Verdict.RESERVED),
        result("asked", "acme", Verdict.UNKNOWN, Reason.RATE_LIMITED),
        result("nocred", "acme", Verdict.UNKNOWN, Reason.MISSING_CREDENTIAL),
        result("bad", "acme", Verdict.INVALID),
    ]  # "gone" has no result at all: nothing to do there
    items = build_todo(Config(brand="Acme"), platforms, results, [], None)
    assert [(i.action, i.platform, i.handle, i.reason) for i in items] == [
        (Action.REGISTER, "free", "acme", "the name is free"),
        (Action.CLAIM, "held", "acme", "someone else holds the name"),
        (Action.CLAIM, "kept", "acme", "the platform reserves it"),
        (Action.RETRY, "asked", "acme", "no answer (rate_limited): run the scan again later"),
        (
            Action.RETRY,
            "nocred",
            "acme",
            "no answer (missing_credential): set the credential the check needs (see evidence), then scan again",
        ),
    ]
    claim = items[1]
    assert (claim.link, claim.evidence, claim.suggestion) == ("https://held.test/report", ("held said taken",), None)
    retry = items[3]
    assert (retry.priority, retry.link, retry.evidence) == (
        Priority.NORMAL,
        "https://asked.test/acme",
        ("asked said unknown",),
    )


def test_register_gives_the_signup_link_alias_owner_and_security_steps() -> None:
    config = Config(brand="Acme", email_domain="acme.example", owners=Owners("Social", {"video": "Video team"}))
    tube = platform("tube", Priority.HIGH, tags=("video",))
    (item,) = build_todo(config, [tube], [result("tube", "acme", Verdict.AVAILABLE)], [], None)
    assert (item.action, item.priority, item.platform_name, item.link) == (
        Action.REGISTER,
        Priority.HIGH,
        "Tube",
        "https://tube.test/signup",
    )
    assert (item.email_alias, item.owner, item.steps) == ("social+tube@acme.example", "Video team", SECURITY_STEPS)


def test_where_the_brand_breaks_the_rules_the_best_handle_is_registered() -> None:
    best = BestHandle("acmehq", 4, 4, ("bad",))
    (item,) = build_todo(Config(brand="Acme"), [platform("bad")], [result("bad", "acme", Verdict.INVALID)], [], best)
    assert (item.action, item.handle, item.reason) == (
        Action.REGISTER,
        "acmehq",
        "acme breaks this platform's rules; acmehq is the best common handle",
    )
    elsewhere = BestHandle("acmehq", 4, 4, ("other",))
    assert (
        build_todo(Config(brand="Acme"), [platform("bad")], [result("bad", "acme", Verdict.INVALID)], [], elsewhere)
        == ()
    )


def test_a_claim_suggests_the_best_handle_only_where_it_is_free() -> None:
    best = BestHandle("acmehq", 6, 6, ("a",))
    no_report = Platform("b", "B", (), urls=Urls(signup="https://b.test/join"))
    items = build_todo(
        Config(brand="Acme"),
        [platform("a"), no_report],
        [result("a", "acme", Verdict.TAKEN), result("b", "acme", Verdict.TAKEN)],
        [],
        best,
    )
    assert [(i.platform, i.suggestion, i.link) for i in items] == [
        ("a", "acmehq", "https://a.test/report"),
        ("b", None, "https://b.test/join"),
    ], "without a report link, the sign-up page"


def test_an_owned_account_that_no_longer_reads_taken_must_be_fixed() -> None:
    config = Config(brand="Acme", owned=(Owned("crit", "acme"), Owned("norm", "acme_old"), Owned("low", "acme")))
    results = [
        result("crit", "acme", Verdict.AVAILABLE),
        result("norm", "acme_old", Verdict.INVALID),
        result("norm", "acme", Verdict.AVAILABLE),  # the brand's own name: not registered, the brand holds one here
        result("low", "acme", Verdict.UNKNOWN, Reason.TIMEOUT),  # inconclusive: nothing to fix
        result("high", "acme", Verdict.TAKEN),
    ]
    items = build_todo(config, [CRITICAL, HIGH, NORMAL, LOW], results, [], None)
    assert [(i.action, i.priority, i.platform, i.handle) for i in items] == [
        (Action.FIX, Priority.CRITICAL, "crit", "acme"),
        (Action.FIX, Priority.HIGH, "norm", "acme_old"),
        (Action.CLAIM, Priority.HIGH, "high", "acme"),
    ]
    assert items[0].reason == "your account acme now reads as available: suspended, renamed or lost?"
    assert (items[0].link, items[0].evidence) == ("https://crit.test/acme", ("crit said available",))


def test_findings_become_reports_or_watches() -> None:
    config = Config(brand="Acme", report_risk=60, owners=Owners("Social", platforms={"crit": "Trust"}))
    findings = [
        finding("crit", "acme_support", Classification.IMPERSONATOR, 85, "https://crit.test/acme_support"),
        finding("crit", "acme_help", Classification.IMPERSONATOR, 60),
        finding("crit", "acme_care", Classification.IMPERSONATOR, 59),
        finding("norm", "acmeparody", Classification.PARODY, 90),
        finding("norm", "acne", Classification.UNRELATED, 10),
        finding("unlisted", "acme_login", Classification.IMPERSONATOR, 99),
    ]
    items = build_todo(config, [CRITICAL, NORMAL], [], findings, None)
    assert [(i.action, i.priority, i.handle, i.reason) for i in items] == [
        (Action.REPORT, Priority.CRITICAL, "acme_support", "impersonator, risk 85"),
        (Action.REPORT, Priority.HIGH, "acme_help", "impersonator, risk 60"),
        (Action.WATCH, Priority.LOW, "acme_care", "impersonator, risk 59"),
        (Action.WATCH, Priority.LOW, "acmeparody", "parody, risk 90"),
    ]
    report = items[0]
    assert (report.link, report.owner) == ("https://crit.test/report", "Trust")
    assert report.evidence == (
        "profile: https://crit.test/acme_support",
        "display name reads as the brand",
        "offers 'support'",
        "seen 2024-05-01T12:30+00:00",
    )
    assert items[1].evidence[0] == "profile: (no public URL)"
    assert (items[3].link, items[3].owner) == (None, "Social")


def test_a_report_without_a_platform_report_link_points_at_the_account() -> None:
    bare = Platform("bare", "Bare", ())
    found = finding("bare", "acme_support", Classification.IMPERSONATOR, 70, "https://bare.test/acme_support")
    (item,) = build_todo(Config(brand="Acme"), [bare], [], [found], None)
    assert (item.action, item.priority, item.link) == (Action.REPORT, Priority.HIGH, "https://bare.test/acme_support")


def test_a_report_where_the_platform_takes_reports_in_its_app_says_what_to_tap() -> None:
    taps = "profile > ... > Report > Pretending to be someone"
    app_only = Platform("app", "App", (), help=Help(report=Channel(Offered.IN_APP, how=taps)))
    found = finding("app", "acme_support", Classification.IMPERSONATOR, 70, "https://app.test/acme_support")
    (item,) = build_todo(Config(brand="Acme"), [app_only], [], [found], None)
    assert item.link == "https://app.test/acme_support"
    assert item.reason == f"impersonator, risk 70; report it in the app: {taps}"


def test_the_list_is_sorted_by_priority_then_action_then_platform() -> None:
    platforms = [platform("zeta", Priority.CRITICAL), platform("alpha", Priority.CRITICAL), LOW]
    results = [
        result("zeta", "acme", Verdict.AVAILABLE),
        result("alpha", "acme", Verdict.TAKEN),
        result("low", "acme", Verdict.UNKNOWN, Reason.TIMEOUT),
    ]
    findings = [finding("low", "acme_support", Classification.IMPERSONATOR, 95)]
    items = build_todo(Config(brand="Acme"), platforms, results, findings, None)
    assert [(i.priority, i.action, i.platform) for i in items] == [
        (Priority.CRITICAL, Action.REPORT, "low"),
        (Priority.CRITICAL, Action.REGISTER, "zeta"),
        (Priority.CRITICAL, Action.CLAIM, "alpha"),
        (Priority.LOW, Action.RETRY, "low"),
    ]


def test_a_retry_keeps_the_priority_of_its_platform() -> None:
    platforms = [CRITICAL, HIGH, NORMAL, platform("other", Priority.NORMAL)]
    results = [
        result("crit", "acme", Verdict.UNKNOWN, Reason.TIMEOUT),
        result("high", "acme", Verdict.UNKNOWN, Reason.RATE_LIMITED),
        result("norm", "acme", Verdict.UNKNOWN, Reason.TIMEOUT),
        result("other", "acme", Verdict.AVAILABLE),
    ]
    items = build_todo(Config(brand="Acme"), platforms, results, [], None)
    assert [(i.priority, i.action, i.platform) for i in items] == [
        (Priority.CRITICAL, Action.RETRY, "crit"),
        (Priority.HIGH, Action.RETRY, "high"),
        (Priority.NORMAL, Action.REGISTER, "other"),
        (Priority.NORMAL, Action.RETRY, "norm"),
    ]


async def test_cli_a_critical_platform_that_times_out_is_a_critical_retry(
    sim: Simulator, platform_file: PlatformFile, capsys: pytest.CaptureFixture[str]
) -> None:
    late = await sim.site(slow(5))
    free = await sim.site(profiles([]))
    entries = [profile_entry("late", late.base, extra="priority: critical")]
    entries += [profile_entry(f"free{n}", free.base, extra="priority: normal") for n in range(3)]
    argv = ["scan", "Acme", "--platforms", str(platform_file(*entries)), "--depth", "quick", "--no-db"]
    await asyncio.to_thread(main, [*argv, "--no-progress", "--format", "json", "--timeout", "1", "--retries", "0"])
    todo = json.loads(capsys.readouterr().out)["todo"]
    assert (todo[0]["action"], todo[0]["platform"], todo[0]["priority"]) == ("retry", "late", "critical")
    assert [i["priority"] for i in todo[1:]] == ["normal"] * 3


# --- secure and verify -------------------------------------------------------------------------


def helped(pid: str, priority: Priority, verification: Channel) -> Platform:
    return replace(platform(pid, priority), help=Help(verification=verification))


BADGE = Channel(Offered.IN_APP, None, "Settings > Verified", Cost.PAID)
DOMAIN = Channel(Offered.LINK, "https://high.test/verify", "add a DNS TXT record", Cost.FREE)


@pytest.mark.parametrize(
    ("accounts", "owners", "reason"),
    [
        ((), Owners(), "no owner recorded; no backup owner recorded; two-factor authentication not recorded as on"),
        ((), Owners("Social"), "no backup owner recorded; two-factor authentication not recorded as on"),
        ((Account("crit", owner="Jo", backup="Sam", two_factor=False),), Owners(), "two-factor authentication is off"),
        ((Account("crit", backup="Sam", two_factor=True),), Owners(), "no owner recorded"),
        ((Account("crit", owner="Jane", two_factor=True),), Owners(), "no backup owner recorded"),
        ((Account("crit", owner="Jane", backup="Sam", two_factor=True),), Owners(), None),
        ((Account("other", owner="Jane", backup="Sam", two_factor=True),), Owners("Social"),
         "no backup owner recorded; two-factor authentication not recorded as on"),
    ],
)  # fmt: skip
def test_secure_names_exactly_what_the_config_leaves_unsaid(
    accounts: tuple[Account, ...], owners: Owners, reason: str | None
) -> None:
    config = Config(brand="Acme", owned=(Owned("crit", "acme"),), owners=owners, accounts=accounts)
    items = build_todo(config, [CRITICAL], [result("crit", "acme", Verdict.TAKEN)], [], None)
    secure = [i for i in items if i.action is Action.SECURE]
    assert [i.reason for i in secure] == ([reason] if reason else [])
    if secure:
        item = secure[0]
        assert (item.priority, item.platform, item.handle, item.link) == (
            Priority.CRITICAL, "crit", "acme", "https://crit.test/acme")  # fmt: skip
        assert len(item.steps) == reason.count(";") + 1 and all("accounts.crit." in step for step in item.steps)


def test_an_account_to_fix_or_that_could_not_be_seen_is_not_asked_to_be_secured() -> None:
    config = Config(brand="Acme", owned=(Owned("crit", "acme"), Owned("high", "acme"), Owned("norm", "acme")))
    results = [
        result("crit", "acme", Verdict.AVAILABLE),
        result("high", "acme", Verdict.UNKNOWN, Reason.TIMEOUT),
        result("norm", "acme", Verdict.TAKEN),
    ]
    items = build_todo(config, [CRITICAL, HIGH, NORMAL], results, [], None)
    assert [(i.action, i.platform) for i in items] == [(Action.FIX, "crit"), (Action.SECURE, "norm")]


def test_verify_where_the_platform_verifies_an_account_the_brand_holds_or_registers() -> None:
    platforms = [
        helped("crit", Priority.CRITICAL, BADGE),
        helped("high", Priority.HIGH, DOMAIN),
        helped("low", Priority.LOW, DOMAIN),
        helped("norm", Priority.NORMAL, Channel(Offered.NONE)),
        helped("taken", Priority.HIGH, BADGE),
    ]
    complete = tuple(Account(p.id, owner="Jane", backup="Sam", two_factor=True) for p in platforms)
    config = Config(brand="Acme", owned=(Owned("crit", "acme"), Owned("norm", "acme")), accounts=complete)
    results = [
        result("crit", "acme", Verdict.TAKEN),
        result("norm", "acme", Verdict.TAKEN),
        result("high", "acme", Verdict.AVAILABLE),
        result("low", "acme", Verdict.AVAILABLE),
        result("taken", "acme", Verdict.TAKEN),
    ]
    items = build_todo(config, platforms, results, [], None)
    assert [(i.priority, i.action, i.platform) for i in items] == [
        (Priority.HIGH, Action.REGISTER, "high"),
        (Priority.HIGH, Action.CLAIM, "taken"),
        (Priority.HIGH, Action.VERIFY, "crit"),  # one step below the platform's priority
        (Priority.NORMAL, Action.VERIFY, "high"),
        (Priority.LOW, Action.REGISTER, "low"),
        (Priority.LOW, Action.VERIFY, "low"),  # low stays low
    ], "no verify where it is none public, nor on a name someone else holds"
    badge, domain = items[2], items[3]
    assert (badge.link, badge.reason, badge.steps, badge.owner) == (
        None, "get the verified badge or domain handle in the app (paid)", ("Settings > Verified",), "Jane",
    )  # fmt: skip
    assert (domain.link, domain.reason, domain.steps) == (
        "https://high.test/verify", "get the verified badge or domain handle on its verification page (free)",
        ("add a DNS TXT record",))  # fmt: skip


def test_secure_comes_after_report_and_before_register_at_one_priority() -> None:
    config = Config(brand="Acme", owned=(Owned("crit", "acme"),))
    zeta = platform("zeta", Priority.CRITICAL)
    results = [result("crit", "acme", Verdict.TAKEN), result("zeta", "acme", Verdict.AVAILABLE)]
    findings = [finding("crit", "acme_support", Classification.IMPERSONATOR, 90)]
    items = build_todo(config, [CRITICAL, zeta], results, findings, None)
    assert [i.action for i in items] == [Action.REPORT, Action.SECURE, Action.REGISTER]


def test_an_account_record_gives_the_owner_and_address_of_every_action() -> None:
    record = Account("tube", owner="Jane Doe", email="video@acme.example")
    config = Config(brand="Acme", email_domain="acme.example", owners=Owners("Social"), accounts=(record,))
    tube, other = platform("tube", Priority.HIGH), platform("other")
    results = [result("tube", "acme", Verdict.AVAILABLE), result("other", "acme", Verdict.AVAILABLE)]
    items = build_todo(config, [tube, other], results, [], None)
    assert [(i.platform, i.owner, i.email_alias) for i in items] == [
        ("tube", "Jane Doe", "video@acme.example"),
        ("other", "Social", "social+other@acme.example"),
    ]
