"""Snapshots, baselines, what changed between two scans, and the --fail-on policies."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from handlecheck.domain import (
    Action,
    Candidate,
    Classification,
    Depth,
    Finding,
    ScanReport,
    Technique,
    Tier,
    TodoItem,
)
from handlecheck.errors import ConfigError, InputError, StorageError
from handlecheck.models import Platform, Priority, Reason, Result, Verdict
from handlecheck.policy import Change, ChangeKind, FailOn, Snapshot, compare, parse_policies, violations
from handlecheck.store.baseline import earlier_scan, from_history, read_baseline, write_baseline
from handlecheck.store.history import History, ScanRecord

WHEN = datetime(2024, 5, 1, 12, 0, 30, 999, tzinfo=UTC)
SUPPORT = Candidate("acme_support", (Technique.AFFIX,), Tier.COMBO, "support", "acme")


def result(platform: str, handle: str, verdict: Verdict) -> Result:
    reason = Reason.TIMEOUT if verdict is Verdict.UNKNOWN else None
    return Result(handle, platform, verdict, reason, None, None, 0, "", WHEN)


def finding(platform: str, handle: str, classification: Classification, risk: int) -> Finding:
    return Finding(platform, handle, None, SUPPORT, classification, risk, ("why",), None, WHEN)


def todo(action: Action, platform: str, handle: str = "acme", reason: str = "why") -> TodoItem:
    return TodoItem(action, Priority.HIGH, platform, platform, handle, None, reason)


def report(
    results: tuple[Result, ...] = (), findings: tuple[Finding, ...] = (), todo: tuple[TodoItem, ...] = ()
) -> ScanReport:
    platforms = tuple(Platform(p, p, ()) for p in sorted({r.platform for r in results}))
    return ScanReport("Acme", "acme", Depth.QUICK, platforms, ("acme",), results, findings, todo, None, 0, WHEN, WHEN)


def snapshot(verdicts: dict[tuple[str, str], str] | None = None, lookalikes: dict | None = None) -> Snapshot:
    return Snapshot("Acme", verdicts or {}, lookalikes or {})


# --- snapshots and baselines -------------------------------------------------------------


def test_snapshot_from_report() -> None:
    scan = report(
        (result("alpha", "acme", Verdict.AVAILABLE), result("beta", "acmehq", Verdict.TAKEN)),
        (finding("beta", "acme_support", Classification.IMPERSONATOR, 90),),
    )
    assert Snapshot.from_report(scan) == Snapshot(
        "Acme",
        {("alpha", "acme"): "available", ("beta", "acmehq"): "taken"},
        {("beta", "acme_support"): ("impersonator", 90)},
        "2024-05-01T12:00:30+00:00",
    )


def test_snapshot_to_dict_is_sorted_and_reads_back() -> None:
    taken = Snapshot(
        "Acme",
        {("beta", "acme"): "taken", ("alpha", "acme"): "unknown", ("alpha", "acmehq"): "reserved"},
        {("beta", "z"): ("fan", 10), ("alpha", "y"): ("impersonator", 77)},
        "2024-05-01T12:00:30+00:00",
    )
    data = taken.to_dict()
    assert data == {
        "brand": "Acme",
        "taken_at": "2024-05-01T12:00:30+00:00",
        "results": [
            {"platform": "alpha", "handle": "acme", "verdict": "unknown"},
            {"platform": "alpha", "handle": "acmehq", "verdict": "reserved"},
            {"platform": "beta", "handle": "acme", "verdict": "taken"},
        ],
        "lookalikes": [
            {"platform": "alpha", "handle": "y", "classification": "impersonator", "risk": 77},
            {"platform": "beta", "handle": "z", "classification": "fan", "risk": 10},
        ],
    }
    assert Snapshot.from_dict(json.loads(json.dumps(data)), "b.json") == taken


def test_snapshot_from_dict_without_taken_at() -> None:
    assert Snapshot.from_dict({"brand": "Acme", "results": [], "lookalikes": []}, "b.json") == Snapshot("Acme")


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"brand": "Acme", "lookalikes": []}, "KeyError: 'results'"),
        (
            {"brand": "Acme", "results": [{"platform": "a", "handle": "b", "verdict": "maybe"}], "lookalikes": []},
            "ValueError: 'maybe' is not a valid Verdict",
        ),
        (
            {
                "brand": "Acme",
                "results": [],
                "lookalikes": [{"platform": "a", "handle": "b", "classification": "fan", "risk": "high"}],
            },
            "ValueError: invalid literal for int() with base 10: 'high'",
        ),
        ([1, 2], "TypeError: list indices must be integers or slices, not str"),
        ({"brand": "Acme", "results": [3], "lookalikes": []}, "TypeError: 'int' object is not subscriptable"),
    ],
)
def test_snapshot_from_dict_refuses_what_is_not_a_baseline(data: object, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Snapshot.from_dict(data, "b.json")
    assert str(caught.value) == f"b.json: not a handlecheck baseline ({problem})"


def test_baseline_file_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    assert read_baseline(path) is None, "no baseline yet"
    saved = Snapshot("Acme", {("alpha", "acme"): "taken"}, {("alpha", "acme_support"): ("impersonator", 90)}, "t")
    write_baseline(path, saved)
    assert path.read_text("utf-8").endswith("}\n")
    assert read_baseline(str(path)) == saved


def test_unreadable_baseline_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        read_baseline(path)
    assert str(caught.value).startswith(f"{path}: cannot read baseline: Expecting property name")
    path.write_bytes(b"\xff\xfe")
    with pytest.raises(ConfigError, match="cannot read baseline: 'utf-8' codec can't decode"):
        read_baseline(path)
    path.write_text('{"brand": "Acme"}', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"not a handlecheck baseline \(KeyError: 'results'\)"):
        read_baseline(path)
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot read baseline: JSON nested too deeply to be one"):
        read_baseline(path)


def test_unwritable_baseline_is_a_storage_error(tmp_path: Path) -> None:
    with pytest.raises(StorageError) as caught:
        write_baseline(tmp_path, Snapshot("Acme"))
    assert str(caught.value) == f"cannot write baseline {tmp_path}: Is a directory (check the path)"


def test_snapshot_from_history(tmp_path: Path) -> None:
    with History(tmp_path / "h.sqlite") as history:
        scan_id = history.start_scan("Acme", resume_within=timedelta(hours=1))
        history.record(scan_id, result("alpha", "acme", Verdict.AVAILABLE))
        history.record(scan_id, result("beta", "acme", Verdict.TAKEN))
        history.record_findings(scan_id, [finding("beta", "acme_support", Classification.IMPERSONATOR, 85)])
        started = history.scans("Acme")[0].started_at
        stored = from_history(history, scan_id, "Acme")
        assert stored == Snapshot(
            "Acme",
            {("alpha", "acme"): "available", ("beta", "acme"): "taken"},
            {("beta", "acme_support"): ("impersonator", 85)},
            started.isoformat(timespec="seconds"),
        )
        assert from_history(history, scan_id + 1, "Acme") == Snapshot("Acme"), "no such scan: nothing known"


# --- compare ---------------------------------------------------------------------------


def test_compare_names_each_kind_of_change_in_order() -> None:
    old = snapshot(
        {("a", "acme"): "available", ("b", "acme"): "taken", ("c", "acme"): "taken", ("d", "acme"): "available"},
        {("a", "gone"): ("impersonator", 80), ("a", "kept"): ("fan", 20), ("b", "dull"): ("unrelated", 5)},
    )
    new = snapshot(
        {("a", "acme"): "taken", ("b", "acme"): "available", ("c", "acme"): "taken", ("d", "acme"): "reserved"},
        {("a", "kept"): ("fan", 30), ("z", "fresh"): ("impersonator", 90), ("y", "other"): ("parody", 15)},
    )
    assert compare(old, new) == [
        Change(ChangeKind.NAME_TAKEN, "a", "acme", "available", "taken"),
        Change(ChangeKind.VERDICT_CHANGED, "b", "acme", "taken", "available"),
        Change(ChangeKind.VERDICT_CHANGED, "d", "acme", "available", "reserved"),
        Change(ChangeKind.NEW_LOOKALIKE, "y", "other", None, "parody, risk 15"),
        Change(ChangeKind.NEW_LOOKALIKE, "z", "fresh", None, "impersonator, risk 90"),
        Change(ChangeKind.VANISHED_LOOKALIKE, "a", "gone", "impersonator, risk 80", None),
    ]


def test_unknown_and_new_pairs_prove_nothing() -> None:
    old = snapshot({("a", "acme"): "unknown", ("b", "acme"): "available"})
    new = snapshot({("a", "acme"): "taken", ("b", "acme"): "unknown", ("c", "acme"): "taken"})
    assert compare(old, new) == []


def test_unrelated_accounts_never_appear_or_vanish() -> None:
    assert compare(snapshot(lookalikes={("a", "x"): ("unrelated", 5)}), snapshot()) == []
    assert compare(snapshot(), snapshot(lookalikes={("a", "x"): ("unrelated", 5)})) == []


def test_change_descriptions() -> None:
    assert Change(ChangeKind.NAME_TAKEN, "alpha", "acme", "available", "taken").describe() == (
        "acme on alpha was available and is now taken: someone took the name"
    )
    assert Change(ChangeKind.VERDICT_CHANGED, "alpha", "acme", "taken", "reserved").describe() == (
        "acme on alpha: taken -> reserved"
    )
    assert Change(ChangeKind.NEW_LOOKALIKE, "alpha", "acme_x", None, "fan, risk 9").describe() == (
        "new lookalike acme_x on alpha (fan, risk 9)"
    )
    gone = Change(ChangeKind.VANISHED_LOOKALIKE, "alpha", "acme_x", "fan, risk 9", None)
    assert gone.describe() == "lookalike acme_x on alpha is gone (fan, risk 9)"
    assert gone.to_dict() == {
        "kind": "vanished-lookalike",
        "platform": "alpha",
        "handle": "acme_x",
        "before": "fan, risk 9",
        "after": None,
        "description": "lookalike acme_x on alpha is gone (fan, risk 9)",
    }


# --- policies --------------------------------------------------------------------------


def test_parse_policies() -> None:
    assert parse_policies("available, new-lookalike") == {FailOn.AVAILABLE, FailOn.NEW_LOOKALIKE}
    assert parse_policies("changed,,changed") == {FailOn.CHANGED}
    assert parse_policies("") == {FailOn.NEVER}
    assert parse_policies(" , ") == {FailOn.NEVER}


def test_parse_policies_names_the_choices() -> None:
    with pytest.raises(InputError) as caught:
        parse_policies("available,sometimes")
    assert str(caught.value) == (
        "--fail-on takes a comma-separated list of: never, available, lookalike, new-lookalike, changed"
    )


FREE = tuple(todo(Action.REGISTER, f"p{i}") for i in range(10))


def test_available_lists_at_most_eight_platforms() -> None:
    scan = report(todo=(*FREE, todo(Action.CLAIM, "other")))
    assert violations({FailOn.AVAILABLE}, scan, [], 50) == [
        "Acme: the name is free on 10 platforms (p0, p1, p2, p3, p4, p5, p6, p7)"
    ]
    assert violations({FailOn.AVAILABLE}, report(todo=(todo(Action.CLAIM, "other"),)), [], 50) == []


def test_lookalike_fails_on_every_report_item() -> None:
    scan = report(
        todo=(
            todo(Action.REPORT, "alpha", "acme_support", "impersonator, risk 90"),
            todo(Action.WATCH, "beta", "acmefans", "fan, risk 20"),
        )
    )
    assert violations([FailOn.LOOKALIKE], scan, [], 50) == [
        "Acme: impersonator acme_support on alpha (impersonator, risk 90)"
    ]


def test_new_lookalike_fails_only_on_new_risky_impersonators() -> None:
    scan = report(
        findings=(
            finding("alpha", "acme_support", Classification.IMPERSONATOR, 90),
            finding("alpha", "acme_help", Classification.IMPERSONATOR, 40),
            finding("beta", "acmeparody", Classification.PARODY, 90),
            finding("beta", "acme_care", Classification.IMPERSONATOR, 95),
        )
    )
    changes = [
        Change(ChangeKind.NEW_LOOKALIKE, "alpha", "acme_support", None, "impersonator, risk 90"),
        Change(ChangeKind.NEW_LOOKALIKE, "alpha", "acme_help", None, "impersonator, risk 40"),
        Change(ChangeKind.NEW_LOOKALIKE, "beta", "acmeparody", None, "parody, risk 90"),
        Change(ChangeKind.VERDICT_CHANGED, "beta", "acme_care", "available", "taken"),
    ]
    assert violations({FailOn.NEW_LOOKALIKE}, scan, changes, 50) == [
        "Acme: new lookalike acme_support on alpha (impersonator, risk 90)"
    ]
    assert len(violations({FailOn.NEW_LOOKALIKE}, scan, changes, 40)) == 2, "the threshold is inclusive"


def test_changed_fails_on_any_change_and_never_wins() -> None:
    changes = [
        Change(ChangeKind.VERDICT_CHANGED, "beta", "acme", "taken", "available"),
        Change(ChangeKind.VANISHED_LOOKALIKE, "beta", "x", "fan, risk 3", None),
    ]
    scan = report(todo=FREE[:1])
    assert violations({FailOn.CHANGED}, scan, changes, 50) == [
        "Acme: acme on beta: taken -> available",
        "Acme: lookalike x on beta is gone (fan, risk 3)",
    ]
    assert violations({FailOn.NEVER, FailOn.CHANGED, FailOn.AVAILABLE}, scan, changes, 50) == []
    assert violations(set(), scan, changes, 50) == []
    assert violations({FailOn.AVAILABLE, FailOn.CHANGED}, scan, changes, 50) == [
        "Acme: the name is free on 1 platform (p0)",
        "Acme: acme on beta: taken -> available",
        "Acme: lookalike x on beta is gone (fan, risk 3)",
    ]


# --- which earlier scan `diff` compares with ---------------------------------------------------


def record(scan_id: int, day: int) -> ScanRecord:
    return ScanRecord(scan_id, "Acme", datetime(2024, 5, day, 9, tzinfo=UTC), None, "done", 0, 0)


SCANS = [record(4, 20), record(3, 10), record(2, 5), record(1, 1)]  # newest first, as History.scans gives them


def test_earlier_scan_defaults_to_the_one_before() -> None:
    assert earlier_scan(SCANS, SCANS[0], None) == SCANS[1]


def test_earlier_scan_by_id_or_date() -> None:
    assert earlier_scan(SCANS, SCANS[0], "1") == SCANS[3]
    assert earlier_scan(SCANS, SCANS[0], "2024-05-09") == SCANS[2], "the last scan before the date"
    assert earlier_scan(SCANS, SCANS[0], "2024-05-10T09:00:00+00:00") == SCANS[1], "at the date counts as before"


@pytest.mark.parametrize(
    ("scans", "since", "message"),
    [
        (SCANS[:1], None, "only one scan of Acme: nothing to compare with yet"),
        (SCANS, "9", "no scan 9 of Acme (see: handlecheck history Acme)"),
        (SCANS, "last week", "--since 'last week' is neither a scan id nor a date (YYYY-MM-DD)"),
        (SCANS, "2024-04-01", "no scan of Acme before 2024-04-01"),
    ],
)
def test_earlier_scan_errors(scans: list[ScanRecord], since: str | None, message: str) -> None:
    with pytest.raises(InputError) as caught:
        earlier_scan(scans, SCANS[0], since)
    assert str(caught.value) == message
