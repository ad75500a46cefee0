"""Handles: normalise what the user typed, and decide offline whether a platform allows it."""

from __future__ import annotations

import unicodedata

from ..errors import InputError
from ..models import Case, Platform
from .patterns import PatternTimeout, compile_pattern, full_match

MAX_HANDLE_LENGTH = 256

# Characters that would change the meaning of a URL if they reached one. Values are always
# URL-quoted anyway; a handle holding them is invalid everywhere, so no request is sent.
URL_RESERVED = frozenset("/?#%\\&=+:;@")


def normalise(raw: str) -> str:
    """Return the handle as it will be checked: NFKC-normalised, without a leading '@'.

    Raises InputError for input that cannot be a handle anywhere (empty, too long,
    whitespace or control characters).
    """
    handle = unicodedata.normalize("NFKC", raw)
    if handle.startswith("@"):
        handle = handle[1:]
    shown = ascii(raw) if len(raw) <= 60 else ascii(raw[:60]) + "..."
    if not handle:
        raise InputError(f"handle {shown} is empty")
    if len(handle) > MAX_HANDLE_LENGTH:
        raise InputError(f"handle {shown} is longer than {MAX_HANDLE_LENGTH} characters")
    for char in handle:
        category = unicodedata.category(char)
        if char.isspace() or category.startswith("C") or category.startswith("Z"):
            raise InputError(f"handle {shown} contains whitespace or a control character (U+{ord(char):04X})")
    return handle


def case_folded(handle: str, platform: Platform) -> str:
    """The one case rule: where a platform ignores case, a handle is compared, checked and
    asked for in its case-folded form (the platform files' rules are written that way)."""
    return handle.casefold() if platform.handle.case is Case.INSENSITIVE else handle


def canonical(handle: str, platform: Platform) -> str:
    """The form under which a platform stores the name: two handles with equal canonical forms
    are one account (case, where the platform ignores it, and characters it ignores, such as dots)."""
    form = case_folded(handle, platform)
    if platform.handle.strip:
        form = form.translate(str.maketrans("", "", platform.handle.strip))
    return form


def why_invalid(handle: str, platform: Platform) -> str | None:
    """Explain why `platform` would refuse `handle`, or return None when it may be valid."""
    reserved = sorted(set(handle) & URL_RESERVED)
    if reserved:
        return f"contains URL-reserved character {reserved[0]!r}"
    if ".." in handle:
        return "contains '..'"
    rule = platform.handle.pattern
    if rule is None:
        return None
    try:
        matches = full_match(compile_pattern(rule), handle)
    except PatternTimeout:
        return None
    if not matches:
        return f"does not match the handle rule {rule}"
    return None
