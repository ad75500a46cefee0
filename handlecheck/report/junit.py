"""JUnit XML for CI systems: one test case per brand x platform, a failure where action is needed.

A document is `JUNIT_HEAD`, one `junit_suite` per brand, then `JUNIT_TAIL`: a run over many
brands writes each brand's suite as it finishes instead of keeping every report for the end.
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.etree import ElementTree

from ..domain import Action, ScanReport
from ..text import printable

FAILING = (Action.FIX, Action.REPORT, Action.REGISTER, Action.CLAIM)
JUNIT_HEAD = '<?xml version="1.0" encoding="utf-8"?>\n<testsuites name="handlecheck">\n'
JUNIT_TAIL = "</testsuites>\n"
_EMPTY = '<?xml version="1.0" encoding="utf-8"?>\n<testsuites name="handlecheck" />\n'


def render_junit(reports: Sequence[ScanReport]) -> str:
    if not reports:
        return _EMPTY
    return JUNIT_HEAD + "".join(junit_suite(report) for report in reports) + JUNIT_TAIL


def junit_suite(report: ScanReport) -> str:
    """One brand's <testsuite> element, indented to sit inside <testsuites>, with its line break."""
    suite = ElementTree.Element("testsuite", name=printable(report.brand))
    if report.unfinished is not None:  # a partial scan says so before its cases
        properties = ElementTree.SubElement(suite, "properties")
        ElementTree.SubElement(properties, "property", name="status", value="partial")
        ElementTree.SubElement(properties, "property", name="unfinished", value=report.unfinished.describe())
    failures = skipped = 0
    for platform in report.platforms:
        items = [i for i in report.todo if i.platform == platform.id]
        case = ElementTree.SubElement(
            suite, "testcase", classname=f"handlecheck.{printable(report.handle)}", name=printable(platform.id)
        )
        needed = [i for i in items if i.action in FAILING]
        retry = next((i for i in items if i.action is Action.RETRY), None)
        if needed:
            failures += 1
            message = "; ".join(f"{i.action}: {i.handle} ({i.reason})" for i in needed)
            failure = ElementTree.SubElement(case, "failure", message=printable(message, 500), type="action-needed")
            failure.text = "\n".join(printable(f"{i.action} {i.handle}: {i.link or ''} {i.reason}") for i in needed)
        elif retry is not None:
            skipped += 1
            ElementTree.SubElement(case, "skipped", message="no answer: " + printable(retry.reason, 300))
    suite.set("tests", str(len(report.platforms)))
    suite.set("failures", str(failures))
    suite.set("skipped", str(skipped))
    ElementTree.indent(suite, level=1)
    return "  " + ElementTree.tostring(suite, encoding="unicode") + "\n"
