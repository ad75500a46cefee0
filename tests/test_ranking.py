"""The ranking: the tiers each kind of lookalike lands in, how they share the first ranks, and
that the quick depth holds every kind of danger for any brand."""

from __future__ import annotations

import random
import string

import pytest

from handlecheck.candidates import generate
from handlecheck.candidates.ranking import AFTER_ROUNDS, ROUND, interleave
from handlecheck.domain import DEPTHS, Depth, Tier
from handlecheck.models import HandleRule, Platform

# Instagram's rule (letters, digits, . and _; 30 at most; no leading, trailing or double dot).
INSTAGRAM = Platform(
    id="instagram", name="Instagram", checks=(),
    handle=HandleRule(r"^(?!\.)(?!.*\.\.)(?!.*\.$)[A-Za-z0-9._]{1,30}$"),
)  # fmt: skip
QUICK = DEPTHS[Depth.QUICK][0]
REAL_BRANDS = (
    "paypal", "nike", "google", "amazon", "apple", "microsoft", "netflix", "stripe", "slack", "uber", "openai",
    "coinbase", "binance", "spotify", "adobe", "tesla", "samsung", "github", "dropbox", "Acme Coffee",
)  # fmt: skip


@pytest.mark.parametrize(
    ("brand", "handle", "tier"),
    [
        ("paypal", "paypa1", Tier.SAME_SKELETON),
        ("google", "g00gle", Tier.SAME_SKELETON),
        ("Acme Corp", "acme_corp", Tier.SAME_SKELETON),
        ("paypal", "paypal_support", Tier.COMBO),
        ("paypal", "supportpaypal", Tier.COMBO),
        ("paypal", "paypalhilfe", Tier.COMBO),
        ("paypal", "paypl", Tier.ONE_EDIT),
        ("paypal", "paypla", Tier.ONE_EDIT),
        ("paypal", "paypall", Tier.ONE_EDIT),
        ("paypal", "paypsl", Tier.ONE_EDIT),
        ("paypal", "paypal_", Tier.ONE_EDIT),
        ("paypal", "paypa1_support", Tier.COMBINED),
        ("paypal", "paypal_support247", Tier.COMBINED),
        ("paypal", "paypalcom", Tier.OTHER),
        ("paypal", "paypal1", Tier.OTHER),
        ("paypal", "paypals", Tier.OTHER),
        ("paypal", "paypalparody", Tier.PARODY_OR_FAN),
        ("paypal", "pa.ypal", Tier.SEPARATOR_NOISE),
        ("nike", "ni_ke", Tier.SEPARATOR_NOISE),
    ],
)
def test_tiers_are_pinned(brand: str, handle: str, tier: Tier) -> None:
    assert {c.handle: c.tier for c in generate(brand)}[handle] is tier


def test_the_round_table_is_what_the_docs_say() -> None:
    assert ROUND == ((Tier.SAME_SKELETON, 2), (Tier.COMBO, 2), (Tier.ONE_EDIT, 2), (Tier.COMBINED, 1), (Tier.OTHER, 1))
    assert AFTER_ROUNDS == (Tier.PARODY_OR_FAN, Tier.SEPARATOR_NOISE)
    assert {tier for tier, _ in ROUND} | set(AFTER_ROUNDS) == set(Tier)


def test_the_first_ranks_take_turns_by_tier() -> None:
    tiers = [c.tier for c in generate("paypal", platform=INSTAGRAM, limit=16)]
    one_round = [Tier.SAME_SKELETON] * 2 + [Tier.COMBO] * 2 + [Tier.ONE_EDIT] * 2 + [Tier.COMBINED, Tier.OTHER]
    assert tiers == one_round * 2


def test_interleave_gives_an_empty_tiers_turns_to_the_others_and_keeps_each_order() -> None:
    queues = {Tier.COMBO: ["c1", "c2", "c3", "c4", "c5"], Tier.OTHER: ["o1"], Tier.SEPARATOR_NOISE: ["n1"]}
    assert interleave(queues) == ["c1", "c2", "o1", "c3", "c4", "c5", "n1"]
    assert interleave(queues, limit=3) == ["c1", "c2", "o1"]
    assert interleave({}) == []


@pytest.mark.parametrize("brand", REAL_BRANDS)
def test_separator_noise_ranks_below_every_homoglyph_combo_and_typo(brand: str) -> None:
    ranked = generate(brand, platform=INSTAGRAM)
    first_noise = next(i for i, c in enumerate(ranked) if c.tier is Tier.SEPARATOR_NOISE)
    dangerous = {Tier.SAME_SKELETON, Tier.COMBO, Tier.ONE_EDIT}
    assert max(i for i, c in enumerate(ranked) if c.tier in dangerous) < first_noise


def quick_holds_the_top_of_each_danger(brand: str, platform: Platform | None) -> None:
    full = generate(brand, platform=platform)
    quick = {c.handle for c in generate(brand, platform=platform, limit=QUICK)}
    for tier in (Tier.SAME_SKELETON, Tier.COMBO, Tier.ONE_EDIT):
        top = [c.handle for c in full if c.tier is tier][:6]
        assert set(top) <= quick, f"{brand}: the top {tier.name.lower()} are not all in the quick depth"
    assert any(c.tier is Tier.COMBINED for c in generate(brand, platform=platform, limit=QUICK))


@pytest.mark.parametrize("brand", REAL_BRANDS)
def test_quick_depth_holds_the_homoglyphs_combos_and_typos_a_scammer_registers(brand: str) -> None:
    quick_holds_the_top_of_each_danger(brand, INSTAGRAM)
    handle = generate(brand)[0].handle if " " in brand else brand
    quick = {c.handle for c in generate(brand, platform=INSTAGRAM, limit=QUICK)}
    if " " not in brand:
        assert {f"{handle}_support", f"{handle}support"} <= quick
        assert not any(c.tier is Tier.SEPARATOR_NOISE for c in generate(brand, platform=INSTAGRAM, limit=QUICK))


def test_quick_depth_holds_every_danger_for_random_brands_over_many_seeds() -> None:
    for seed in range(40):
        rng = random.Random(seed)
        brand = "".join(rng.choices(string.ascii_lowercase + string.digits, k=rng.randint(3, 18)))
        platform = rng.choice([None, INSTAGRAM])
        quick_holds_the_top_of_each_danger(brand, platform)


def test_a_brand_without_homoglyphs_gives_their_turns_to_the_rest() -> None:
    ranked = generate("xyxy", limit=QUICK)
    assert len(ranked) == QUICK and not any(c.tier is Tier.SAME_SKELETON for c in ranked)
    assert ranked[0].tier is Tier.COMBO
