"""JUnit XML for CI systems: one test case per brand x platform, a failure where action is needed."""

from __future__ import annotations

from collections.abc import Sequence
from xml.etree import ElementTree

from ..domain import Action, ScanReport
from ..text import printable

FAILING = (Action.FIX, Action.REPORT, Action.REGISTER, Action.CLAIM)


def render_junit(reports: Sequence[ScanReport]) -> str:
    suites = ElementTree.Element("testsuites", name="handlecheck")
    for report in reports:
        suite = ElementTree.SubElement(suites, "testsuite", name=printable(report.brand))
        failures = skipped = 0
        for platform in report.platforms:
            items = [i for i in report.todo if i.platform == platform.id]
            case = ElementTree.SubElement(
                suite, "testcase", classname=f"handlecheck.{report.handle}", name=f"{platform.id}"
            )
            needed = [i for i in items if i.action in FAILING]
            if needed:
                failures += 1
                message = "; ".join(f"{i.action}: {i.handle} ({i.reason})" for i in needed)
                failure = ElementTree.SubElement(case, "failure", message=printable(message, 500), type="action-needed")
                failure.text = "\n".join(printable(f"{i.action} {i.handle}: {i.link or ''} {i.reason}") for i in needed)
            elif any(i.action is Action.RETRY for i in items):
                skipped += 1
                ElementTree.SubElement(case, "skipped", message="no answer: " + printable(items[0].reason, 300))
        suite.set("tests", str(len(report.platforms)))
        suite.set("failures", str(failures))
        suite.set("skipped", str(skipped))
    ElementTree.indent(suites)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ElementTree.tostring(suites, encoding="unicode") + "\n"
