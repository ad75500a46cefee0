"""The domain's frozen data types: parsing, derived values and the dicts the JSON report is made of."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime

import pytest

from handlecheck.domain import (
    DEPTHS,
    Action,
    BestHandle,
    Candidate,
    Classification,
    Depth,
    Finding,
    Owned,
    ScanReport,
    Technique,
    Tier,
    TodoItem,
)
from handlecheck.errors import InputError
from handlecheck.models import Platform, Priority, Profile, Reason, Result, Urls, Verdict

WHEN = datetime(2024, 5, 1, 12, 30, 45, 123456, tzinfo=UTC)
SUPPORT = Candidate("acme_support", (Technique.AFFIX,), Tier.COMBO, "support", "acme")


def result(platform: str, handle: str, verdict: Verdict, reason: Reason | None = None) -> Result:
    return Result(handle, platform, verdict, reason, f"https://{platform}.test/{handle}", 200, 12, "ev", WHEN)


def finding(platform: str, handle: str, classification: Classification, risk: int = 70) -> Finding:
    return Finding(platform, handle, None, SUPPORT, classification, risk, ("why",), None, WHEN)


def todo(action: Action, platform: str = "alpha", handle: str = "acme") -> TodoItem:
    return TodoItem(action, Priority.HIGH, platform, platform.title(), handle, None, "because")


PLATFORMS = (
    Platform(
        "alpha",
        "Alpha",
        (),
        tags=("social", "video"),
        priority=Priority.CRITICAL,
        urls=Urls("https://alpha.test/{{handle}}", "https://alpha.test/join", "https://alpha.test/report"),
    ),
    Platform("beta", "Beta", ()),
)


def report(**changes: object) -> ScanReport:
    base = ScanReport(
        brand="Acme",
        handle="acme",
        depth=Depth.QUICK,
        platforms=PLATFORMS,
        handles=("acme", "acmehq"),
        results=(
            result("alpha", "acme", Verdict.AVAILABLE),
            result("beta", "acme", Verdict.UNKNOWN, Reason.TIMEOUT),
            result("alpha", "acmehq", Verdict.TAKEN),
            result("beta", "acmehq", Verdict.TAKEN),
        ),
        findings=(
            finding("alpha", "acme_support", Classification.IMPERSONATOR),
            finding("beta", "acme_support", Classification.IMPERSONATOR),
            finding("beta", "acmefans", Classification.FAN, 20),
        ),
        todo=(todo(Action.REGISTER), todo(Action.RETRY, "beta"), todo(Action.REPORT, "alpha", "acme_support")),
        best_handle=BestHandle("acme", 8, 10, ("alpha",)),
        lookalike_checks=42,
        started_at=WHEN,
        finished_at=WHEN.replace(minute=31),
        timings={"total_seconds": 1.5},
    )
    return dataclasses.replace(base, **changes)


def test_candidate_to_dict_spells_the_tier_and_rounds_similarity() -> None:
    assert SUPPORT.to_dict() == {
        "handle": "acme_support",
        "technique": "affix",
        "techniques": ["affix"],
        "tier": "combo",
        "distance": 7,
        "similarity": 0.873,
        "detail": "support",
    }


def test_a_candidates_closeness_is_that_of_its_handle_without_separators() -> None:
    typo = Candidate("ac.me_", (Technique.SEPARATOR,), Tier.SEPARATOR_NOISE, ".", "acme")
    assert (typo.distance, typo.similarity) == (0, 1.0)
    swapped = Candidate("amce", (Technique.TRANSPOSITION,), Tier.ONE_EDIT, "", "acme")
    assert swapped.distance == 1 and 0.8 < swapped.similarity < 1.0


@pytest.mark.parametrize(
    ("text", "platform", "handle"),
    [("github:acme", "github", "acme"), (" github : @acme ", "github", "acme"), ("x:a:b", "x", "a:b")],
)
def test_owned_parse(text: str, platform: str, handle: str) -> None:
    assert Owned.parse(text) == Owned(platform, handle)


@pytest.mark.parametrize("text", ["github", ":acme", "github:", "  :  ", ""])
def test_owned_parse_refuses_what_is_not_platform_colon_handle(text: str) -> None:
    with pytest.raises(InputError) as caught:
        Owned.parse(text)
    assert str(caught.value) == f"owned account {text!r} is not PLATFORM:HANDLE (e.g. github:acme)"


def test_finding_to_dict_with_and_without_a_profile() -> None:
    bare = Finding(
        "alpha",
        "acme_support",
        "https://a.test/acme_support",
        SUPPORT,
        Classification.IMPERSONATOR,
        88,
        ("one", "two"),
        None,
        WHEN,
    )
    assert bare.to_dict() == {
        "platform": "alpha",
        "handle": "acme_support",
        "url": "https://a.test/acme_support",
        "classification": "impersonator",
        "risk": 88,
        "reasons": ["one", "two"],
        "technique": "affix",
        "techniques": ["affix"],
        "tier": "combo",
        "profile": None,
        "seen_at": "2024-05-01T12:30:45+00:00",
        "evidence": None,
    }
    shown = dataclasses.replace(bare, profile=Profile(display_name="ACME", followers=3))
    assert shown.to_dict()["profile"] == {
        "display_name": "ACME",
        "bio": None,
        "followers": 3,
        "created": None,
        "verified": None,
        "avatar": None,
    }


def test_todo_item_to_dict_lists_steps_and_evidence() -> None:
    item = TodoItem(
        Action.CLAIM,
        Priority.LOW,
        "beta",
        "Beta",
        "acme",
        "https://b.test/policy",
        "taken",
        owner="Ann",
        email_alias="s+beta@acme.example",
        steps=("a", "b"),
        evidence=("e",),
        suggestion="acmehq",
    )
    assert item.to_dict() == {
        "action": "claim",
        "priority": "low",
        "platform": "beta",
        "platform_name": "Beta",
        "handle": "acme",
        "link": "https://b.test/policy",
        "reason": "taken",
        "owner": "Ann",
        "email_alias": "s+beta@acme.example",
        "steps": ["a", "b"],
        "evidence": ["e"],
        "suggestion": "acmehq",
        "report_text": None,
    }


def test_best_handle_coverage() -> None:
    best = BestHandle("acmehq", 6, 9, ("alpha", "beta"))
    assert best.coverage == pytest.approx(2 / 3)
    assert best.to_dict() == {
        "handle": "acmehq",
        "coverage": 0.667,
        "weight": 6,
        "total_weight": 9,
        "available_on": ["alpha", "beta"],
    }
    assert BestHandle("acme", 0, 0).coverage == 0.0, "no platforms: no division by zero"


def test_depths_name_the_limit_and_the_priorities() -> None:
    assert DEPTHS[Depth.QUICK] == (30, frozenset({Priority.CRITICAL, Priority.HIGH}))
    assert DEPTHS[Depth.STANDARD] == (100, frozenset({Priority.CRITICAL, Priority.HIGH, Priority.NORMAL}))
    assert DEPTHS[Depth.DEEP] == (None, frozenset(Priority))


def test_report_result_finds_one_pair() -> None:
    scan = report()
    assert scan.result("alpha", "acmehq") == result("alpha", "acmehq", Verdict.TAKEN)
    assert scan.result("gamma", "acme") is None
    assert scan.result("alpha", "nobody") is None


def test_report_summary_counts_the_brand_handle_only() -> None:
    summary = report(incomplete=True).summary()
    assert summary["brand_handle"] == {
        "total": 2,
        "handles": 1,
        "platforms": 2,
        "verdicts": {"available": 1, "taken": 0, "reserved": 0, "invalid": 0, "unknown": 1},
        "unknown_reasons": {"timeout": 1},
        "elapsed_seconds": None,
    }
    assert summary["findings"] == {"impersonator": 2, "fan": 1}
    assert summary["todo"] == {"register": 1, "retry": 1, "report": 1}
    assert summary["lookalike_checks"] == 42
    assert summary["incomplete"] is True


def test_report_to_dict_is_json_and_carries_everything() -> None:
    scan = report()
    document = json.loads(json.dumps(scan.to_dict()))
    assert document["brand"] == "Acme" and document["handle"] == "acme" and document["depth"] == "quick"
    assert document["started_at"] == "2024-05-01T12:30:45+00:00"
    assert document["finished_at"] == "2024-05-01T12:31:45+00:00"
    assert document["timings"] == {"total_seconds": 1.5}
    assert document["platforms"] == [
        {
            "id": "alpha",
            "name": "Alpha",
            "priority": "critical",
            "tags": ["social", "video"],
            "profile": "https://alpha.test/{{handle}}",
            "signup": "https://alpha.test/join",
            "report": "https://alpha.test/report",
        },
        {
            "id": "beta",
            "name": "Beta",
            "priority": "normal",
            "tags": [],
            "profile": None,
            "signup": None,
            "report": None,
        },
    ]
    assert document["handles"] == ["acme", "acmehq"]
    assert document["best_handle"] == BestHandle("acme", 8, 10, ("alpha",)).to_dict()
    assert document["todo"] == [item.to_dict() for item in scan.todo]
    assert document["findings"] == [f.to_dict() for f in scan.findings]
    assert document["results"] == [r.to_dict() for r in scan.results]
    assert document["summary"] == scan.summary()
    assert report(best_handle=None).to_dict()["best_handle"] is None


def test_the_types_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        SUPPORT.handle = "other"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        report().brand = "Other"  # type: ignore[misc]
