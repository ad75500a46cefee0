"""Handles: normalisation and offline validity, including arbitrary input."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlecheck import InputError
from handlecheck.models import Case, HandleRule, Platform
from handlecheck.rules import UnsafeValue, render_url
from handlecheck.rules.handles import MAX_HANDLE_LENGTH, canonical, normalise, why_invalid

STRICT = Platform(id="strict", name="Strict", checks=(), handle=HandleRule(r"^[a-z0-9_]{3,15}$"))
LOOSE = Platform(id="loose", name="Loose", checks=(), handle=HandleRule(None, Case.SENSITIVE))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("acme", "acme"),
        ("@acme", "acme"),
        ("\uff21\uff23\uff2d\uff25", "ACME"),  # fullwidth letters
        ("\uff41\uff43\uff4d\uff45\uff3fhq", "acme_hq"),
    ],
)
def test_normalise(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


@pytest.mark.parametrize(
    "raw", ["", "@", "a b", "acme\r\nX-Injected: 1", "ac\x00me", "\tacme", "ac\u202eme", "x" * (MAX_HANDLE_LENGTH + 1)]
)
def test_impossible_handles_are_rejected_in_one_line(raw: str) -> None:
    with pytest.raises(InputError) as caught:
        normalise(raw)
    assert "\n" not in str(caught.value) and "\r" not in str(caught.value)


@pytest.mark.parametrize("handle", ["a/b", "a?b", "a#b", "a%b", "a..b", "a\\b", "a&b"])
def test_url_reserved_characters_are_invalid_everywhere(handle: str) -> None:
    assert why_invalid(handle, LOOSE) is not None


def test_platform_rule_and_case() -> None:
    assert why_invalid("acme", STRICT) is None
    assert "does not match" in (why_invalid("ACME-1", STRICT) or "")
    assert canonical("AcMe", STRICT) == "acme" and canonical("AcMe", LOOSE) == "AcMe"


@given(st.text(max_size=300))
def test_arbitrary_input_is_a_handle_or_a_one_line_input_error(raw: str) -> None:
    try:
        handle = normalise(raw)
    except InputError as exc:
        assert "\n" not in str(exc)
        return
    assert 0 < len(handle) <= MAX_HANDLE_LENGTH
    if why_invalid(handle, LOOSE) is None:
        # A handle that may be sent can only ever land in the path of the template's host.
        url = render_url("https://loose.test/u/{{handle}}", {"handle": handle})
        assert url.startswith("https://loose.test/u/") and "/" not in url[len("https://loose.test/u/") :]
        try:
            host_url = render_url("https://{{handle}}.loose.test/", {"handle": handle})
        except UnsafeValue:
            return
        assert host_url.endswith(".loose.test/")
