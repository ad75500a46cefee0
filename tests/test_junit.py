"""JUnit XML: one test case per brand x platform; a failure where action is needed, skipped where
no answer came; the rest pass."""

from __future__ import annotations

from datetime import UTC, datetime
from xml.etree import ElementTree

from handlecheck.domain import Action, Depth, ScanReport, TodoItem
from handlecheck.models import Platform, Priority
from handlecheck.report.junit import render_junit

WHEN = datetime(2024, 5, 1, tzinfo=UTC)
PLATFORMS = tuple(Platform(pid, pid.title(), ()) for pid in ("alpha", "beta", "gamma", "delta", "epsilon"))


def item(action: Action, platform: str, handle: str = "acme", reason: str = "why", link: str | None = None) -> TodoItem:
    return TodoItem(action, Priority.HIGH, platform, platform.title(), handle, link, reason)


def report(brand: str, todo: tuple[TodoItem, ...], platforms: tuple[Platform, ...] = PLATFORMS) -> ScanReport:
    return ScanReport(brand, "acme", Depth.QUICK, platforms, ("acme",), (), (), todo, None, 0, WHEN, WHEN)


TODO = (
    item(Action.REGISTER, "alpha", reason="the name is free", link="https://alpha.test/join"),
    item(Action.REPORT, "alpha", "acme_support", "impersonator, risk 90"),
    item(Action.CLAIM, "beta", reason="someone else holds the name"),
    item(Action.RETRY, "gamma", reason="no answer (timeout): run the scan again later"),
    item(Action.WATCH, "delta", "acmefans", "fan, risk 20"),
)


def parse(xml: str) -> ElementTree.Element:
    assert xml.startswith('<?xml version="1.0" encoding="utf-8"?>\n<testsuites name="handlecheck"')
    return ElementTree.fromstring(xml.split("\n", 1)[1])


def test_one_case_per_platform_with_failures_and_skips() -> None:
    root = parse(render_junit([report("Acme", TODO)]))
    (suite,) = root.findall("testsuite")
    assert suite.attrib == {"name": "Acme", "tests": "5", "failures": "2", "skipped": "1"}
    cases = {case.get("name"): case for case in suite.findall("testcase")}
    assert list(cases) == ["alpha", "beta", "gamma", "delta", "epsilon"]
    assert {case.get("classname") for case in cases.values()} == {"handlecheck.acme"}
    failure = cases["alpha"].find("failure")
    assert failure is not None and failure.get("type") == "action-needed"
    assert failure.get("message") == "register: acme (the name is free); report: acme_support (impersonator, risk 90)"
    assert failure.text == (
        "register acme: https://alpha.test/join the name is free\nreport acme_support:  impersonator, risk 90"
    )
    assert [child.tag for child in cases["beta"]] == ["failure"]
    skipped = cases["gamma"].find("skipped")
    assert skipped is not None and skipped.get("message") == "no answer: no answer (timeout): run the scan again later"
    assert list(cases["delta"]) == [], "watching a fan account needs no action now"
    assert list(cases["epsilon"]) == []


def test_a_fix_fails_and_wins_over_a_retry() -> None:
    todo = (item(Action.RETRY, "alpha"), item(Action.FIX, "alpha", reason="your account acme now reads as available"))
    suite = parse(render_junit([report("Acme", todo, PLATFORMS[:1])])).find("testsuite")
    assert suite is not None and (suite.get("failures"), suite.get("skipped")) == ("1", "0")
    case = suite.find("testcase")
    assert case is not None and [child.tag for child in case] == ["failure"]


def test_one_suite_per_brand() -> None:
    root = parse(render_junit([report("Acme", TODO), report("Globex", ())]))
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["Acme", "Globex"]
    assert [(s.get("tests"), s.get("failures"), s.get("skipped")) for s in suites] == [("5", "2", "1"), ("5", "0", "0")]


def test_no_reports_is_an_empty_document() -> None:
    assert render_junit([]) == '<?xml version="1.0" encoding="utf-8"?>\n<testsuites name="handlecheck" />\n'


def test_scraped_text_cannot_break_the_xml_or_a_terminal() -> None:
    hostile = "evil\x1b[2J\u202e<tag>&\n" + "x" * 600
    todo = (item(Action.REPORT, "alpha", "acme_support", hostile),)
    root = parse(render_junit([report("Acme\x00\u202eCorp", todo, PLATFORMS[:1])]))
    suite = root.find("testsuite")
    assert suite is not None and suite.get("name") == "AcmeCorp"
    failure = root.find("testsuite/testcase/failure")
    assert failure is not None
    message = failure.get("message") or ""
    assert message.startswith("report: acme_support (evil<tag>& xxx") and message.endswith("x…"), "escape dropped whole"
    assert len(message) == 500
    assert failure.text is not None and "\x1b" not in failure.text and "\u202e" not in failure.text


def test_the_skipped_message_is_the_retry_reason_not_the_first_to_do() -> None:
    todo = (
        item(Action.WATCH, "alpha", "acmefans", "fan, risk 20"),
        item(Action.RETRY, "alpha", reason="no answer (rate-limited): run the scan again later"),
    )
    skipped = parse(render_junit([report("Acme", todo, PLATFORMS[:1])])).find("testsuite/testcase/skipped")
    assert skipped is not None
    assert skipped.get("message") == "no answer: no answer (rate-limited): run the scan again later"


def test_escape_codes_in_a_brand_or_handle_leave_no_letters_behind() -> None:
    hostile = "\x1b]8;;http://evil\x07Acme\x1b]8;;\x07\x1b[31m\x07\u202e"
    root = parse(render_junit([report(hostile, (item(Action.REPORT, "alpha", f"acme{hostile}", hostile),))]))
    suite = root.find("testsuite")
    failure = root.find("testsuite/testcase/failure")
    assert suite is not None and suite.get("name") == "Acme"
    assert failure is not None and failure.get("message") == "report: acmeAcme (Acme)"
