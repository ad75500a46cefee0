"""Counts over results: the summary line, the json `summary`, and the "nothing answered" decision."""

from __future__ import annotations

from datetime import UTC, datetime

from handlecheck.models import Reason, Result, Verdict
from handlecheck.summary import summarise

WHEN = datetime(2024, 5, 1, tzinfo=UTC)


def result(
    platform: str, verdict: Verdict, reason: Reason | None = None, *, handle: str = "acme", evidence: str = ""
) -> Result:
    return Result(handle, platform, verdict, reason, None, None, 0, evidence, WHEN)


def test_counts_verdicts_handles_platforms_and_reasons() -> None:
    summary = summarise(
        [
            result("alpha", Verdict.AVAILABLE),
            result("beta", Verdict.TAKEN),
            result("beta", Verdict.TAKEN, handle="acmehq"),
            result("gamma", Verdict.UNKNOWN, Reason.TIMEOUT),
            result("delta", Verdict.UNKNOWN, Reason.RATE_LIMITED),
            result("epsilon", Verdict.UNKNOWN, Reason.RATE_LIMITED),
        ],
        elapsed_seconds=1.23456,
    )
    assert (summary.total, summary.handles, summary.platforms) == (6, 2, 5)
    assert summary.verdicts == {"available": 1, "taken": 2, "reserved": 0, "invalid": 0, "unknown": 3}
    assert list(summary.unknown_reasons.items()) == [("rate_limited", 2), ("timeout", 1)], "sorted by reason"
    assert summary.elapsed_seconds == 1.235
    assert summary.to_dict() == {
        "total": 6,
        "handles": 2,
        "platforms": 5,
        "verdicts": {"available": 1, "taken": 2, "reserved": 0, "invalid": 0, "unknown": 3},
        "unknown_reasons": {"rate_limited": 2, "timeout": 1},
        "elapsed_seconds": 1.235,
    }


def test_nothing_to_count() -> None:
    summary = summarise([])
    assert (summary.total, summary.handles, summary.platforms, summary.attempted) == (0, 0, 0, 0)
    assert summary.verdicts == {"available": 0, "taken": 0, "reserved": 0, "invalid": 0, "unknown": 0}
    assert summary.elapsed_seconds is None
    assert summary.unreachable is False, "nothing was sent, so nothing proves the network is down"


def test_only_sent_requests_are_attempted() -> None:
    summary = summarise(
        [
            result("alpha", Verdict.INVALID),
            result("beta", Verdict.UNKNOWN, Reason.MISSING_CREDENTIAL),
            result("gamma", Verdict.UNKNOWN, Reason.UNSAFE_REQUEST),
            result("delta", Verdict.UNKNOWN, Reason.NETWORK),
            result("epsilon", Verdict.TAKEN),
        ]
    )
    assert summary.attempted == 2
    assert summary.unreachable_count == 1
    assert summary.unreachable is False, "one platform answered"


def test_unreachable_when_every_sent_request_failed_to_connect() -> None:
    summary = summarise(
        [
            result("alpha", Verdict.UNKNOWN, Reason.NETWORK),
            result("beta", Verdict.UNKNOWN, Reason.TIMEOUT),
            result("gamma", Verdict.UNKNOWN, Reason.TLS),
            result("delta", Verdict.UNKNOWN, Reason.MISSING_CREDENTIAL),  # never sent: does not count
        ]
    )
    assert (summary.attempted, summary.unreachable_count) == (3, 3)
    assert summary.unreachable is True
    assert summary.offline is None
    assert summary.unreachable_cause == "1 missing_credential, 1 network, 1 timeout, 1 tls"


def test_the_cause_of_few_unreached_platforms_names_what_the_first_saw() -> None:
    """Too few hosts for the offline decision: the counts, and what one check saw (its label and
    the checks after it left off)."""
    seen = "check 1: DNS lookup failed: no such name; check 2 (api): DNS lookup failed: no such name"
    summary = summarise(
        [
            result("alpha", Verdict.UNKNOWN, Reason.NETWORK, evidence=seen),
            result("beta", Verdict.UNKNOWN, Reason.NETWORK),
        ]
    )
    assert summary.unreachable_cause == "2 network; DNS lookup failed: no such name"


def test_a_server_error_is_an_answer() -> None:
    summary = summarise(
        [result("alpha", Verdict.UNKNOWN, Reason.NETWORK), result("beta", Verdict.UNKNOWN, Reason.SERVER_ERROR)]
    )
    assert summary.unreachable_count == 1 and summary.unreachable is False


def test_the_offline_decision_is_the_cause() -> None:
    evidence = "gave up: offline: the first 3 hosts tried all failed before any answered: no route"
    summary = summarise(
        [
            result("alpha", Verdict.UNKNOWN, Reason.OFFLINE, evidence=evidence),
            result("beta", Verdict.UNKNOWN, Reason.OFFLINE, evidence="later: offline: ignored"),
        ]
    )
    assert summary.offline == "offline: the first 3 hosts tried all failed before any answered: no route", "the first"
    assert summary.unreachable is True
    assert summary.unreachable_cause == summary.offline
    assert "offline" not in summary.to_dict(), "the json summary keeps to counts"
