"""The lookalike families: what each technique makes, per-platform filtering, and properties."""

from __future__ import annotations

import json
import random
import string
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlecheck.candidates import Brand, generate, parse_techniques, read_affixes
from handlecheck.domain import Technique, Tier
from handlecheck.errors import InputError
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
        (Technique.HOMOGLYPH, {"acrne", "4cme", "acm3", "acnne"}),
        (Technique.SEPARATOR, {"ac.me", "a_cme", "acm-e", "_acme", "acme."}),
        (Technique.PLURAL, {"acmes"}),
        (Technique.DIGIT_SUFFIX, {"acme1", "acme247", "acme_365"}),
        (Technique.ADDITION, {"acmex", "acme7"}),
        (Technique.BITSQUATTING, {"ccme", "aame", "acle"}),
        (Technique.TLD_IN_LABEL, {"acmecom", "acme.com", "acme_net", "acme-org"}),
        (Technique.AFFIX, {"acmesupport", "acme_support", "official.acme", "theacme", "acme-hq", "notacme"}),
        (Technique.AFFIX, {"acmefans", "acme.verify", "acmewallet", "acme_soporte"}),
    ],
)  # fmt: skip
def test_each_technique(technique: Technique, expected: set[str]) -> None:
    assert expected <= made("acme", technique)


def test_homoglyphs_take_up_to_two_steps_and_a_doubled_letter_is_one() -> None:
    google = made("google", Technique.HOMOGLYPH)
    assert {"g00gle", "g0ogle", "goog1e", "g00g1e", "go0g1e", "q00gle"} <= google
    assert "g0og1e" in google and "q0og1e" not in google, "three substitutions is too many"


def test_inner_plural_and_tld_in_label_as_dnstwist_makes_them() -> None:
    assert {"paypals", "paysal", "paypsal"} & made("paypal", Technique.PLURAL) == {"paypals", "paypsal"}
    assert "paypalcom" in made("paypal", Technique.TLD_IN_LABEL)


def test_every_keyboard_layout_at_once_unless_narrowed() -> None:
    every = {c.handle: c.detail for c in generate("acme", techniques=[Technique.KEYBOARD_REPLACEMENT])}
    assert {"scme", "wcme", "1cme", "zcme"} <= set(every), "qwerty's w and azerty's 1 both sit next to a"
    assert every["1cme"] == "azerty" and "qwerty" in every["scme"].split(",")
    azerty = made("acme", Technique.KEYBOARD_REPLACEMENT, keyboards=["azerty"])
    assert "1cme" in azerty and "wcme" not in azerty, "on AZERTY, a sits under 1 and 2, far from w"
    assert "acmwe" in made("acme", Technique.KEYBOARD_INSERTION)


def test_combinations_name_every_technique_they_used() -> None:
    by_handle = {c.handle: c for c in generate("paypal")}
    combined = by_handle["paypa1_support"]
    assert combined.techniques == (Technique.HOMOGLYPH, Technique.AFFIX) and combined.tier is Tier.COMBINED
    assert combined.detail == "l->1+support"
    assert by_handle["paypal_support247"].techniques == (Technique.AFFIX, Technique.DIGIT_SUFFIX)
    assert by_handle["paypl_support"].techniques == (Technique.OMISSION, Technique.AFFIX)
    assert by_handle["paypal_support"].techniques == (Technique.AFFIX,)
    document = by_handle["paypa1_support"].to_dict()
    assert document["techniques"] == ["homoglyph", "affix"] and document["technique"] == "homoglyph"


def test_combo_dictionary_holds_the_papers_and_the_phishing_words() -> None:
    words = {c.detail for c in generate("acme", techniques=[Technique.AFFIX])}
    paper = {"support", "help", "official", "service", "verify", "login", "pay", "gift", "secure", "account"}
    assert paper | {"wallet", "giveaway", "refund", "soporte", "hilfe", "assistance", "suporte", "assistenza"} <= words


def test_multi_word_brand_forms() -> None:
    forms = {c.handle: c for c in generate("Acme Coffee") if c.technique is Technique.WORD_FORM}
    assert {"acme.coffee", "acme_coffee", "acme-coffee", "ac", "acoffee"} <= set(forms)
    assert forms["acme_coffee"].tier is Tier.SAME_SKELETON and forms["ac"].tier is Tier.OTHER


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
    chosen = {c.technique for c in generate("acme", techniques=[Technique.PLURAL, Technique.OMISSION])}
    assert chosen == {Technique.PLURAL, Technique.OMISSION}
    assert parse_techniques(["bitsquatting", "tld-in-label"]) == (Technique.BITSQUATTING, Technique.TLD_IN_LABEL)
    with pytest.raises(InputError, match="unknown technique 'typo'"):
        parse_techniques(["typo"])


def test_an_affix_file_replaces_the_words_in_its_order(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "words.txt"
    path.write_text("# ours\nDesk\nlounge\n", encoding="utf-8")
    words = read_affixes(str(path))
    assert words == ("desk", "lounge")
    combos = [c for c in generate("acme", techniques=[Technique.AFFIX], affixes=words) if c.tier is Tier.COMBO]
    assert combos[0].handle == "acme_desk" and {c.detail for c in combos} == {"desk", "lounge"}


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
    assert all(0.0 <= c.similarity <= 1.0 and c.distance >= 0 and c.techniques for c in first)


def test_the_family_stays_bounded_for_long_brands() -> None:
    rng = random.Random(7)
    for _ in range(20):
        brand = "".join(rng.choices(string.ascii_lowercase, k=30))
        assert len(generate(brand)) < 3000


def test_cli_lookalikes_lists_the_ranked_candidates_with_their_techniques() -> None:
    code = "import sys; from handlecheck.cli import main; sys.exit(main(sys.argv[1:]))"
    args = ["lookalikes", "paypal", "--max", "12", "--keyboard", "qwerty", "--format", "json"]
    run = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 0, run.stderr
    rows = json.loads(run.stdout)["candidates"]
    assert len(rows) == 12 and rows[0]["tier"] == "same-skeleton"
    assert {"paypal_support", "paypa1_support"} <= {r["handle"] for r in rows}
    assert next(r for r in rows if r["handle"] == "paypa1_support")["techniques"] == ["homoglyph", "affix"]
