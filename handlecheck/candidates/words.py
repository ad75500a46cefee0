"""The words an impersonator adds to a brand's name, most dangerous first.

Combo words come from the combosquatting research ("The Imitation Game", USENIX Security 2024:
service, help, official, support, pay and gift words dominate the 349,411 squatted accounts it
found on X, Instagram, Telegram and YouTube), from the words dnstwist's dictionary lists for
phishing domains (account, verify, secure, login, ...), and from the same service words in
French, Spanish, German, Portuguese and Italian. A word's place in COMBO_WORDS is its rank: the
generator ranks `brand_support` before `brand_news`.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError

COMBO_WORDS: tuple[str, ...] = (
    # claims to be the brand's own help desk or account team
    "support", "official", "help", "service", "verify", "login", "pay", "care", "security", "account",
    "team", "helpdesk", "customerservice", "customercare", "verified", "giveaway", "refund", "wallet",
    "rewards", "gift", "gifts", "promo", "recovery", "secure", "signin", "customer", "contact", "billing",
    "payment", "payments", "claim", "confirm", "update", "updates", "auth", "access", "admin", "hq", "staff",
    "desk", "helpline", "center", "centre", "live", "bonus", "airdrop", "crypto", "deals", "giftcard", "cares",
    "services", "alerts", "notice", "safety", "trust", "real", "the", "app", "store", "shop", "online", "mail",
    "mobile", "web", "www", "news", "info", "get", "my", "inc", "co", "global", "us", "uk", "jobs", "careers",
    "press", "media", "tv",
    # the same claims in French, Spanish, German, Portuguese and Italian
    "oficial", "officiel", "ufficiale", "offiziell", "soporte", "suporte", "supporto", "assistance",
    "assistenza", "ayuda", "ajuda", "aiuto", "aide", "hilfe", "kundenservice", "kundendienst", "serviceclient",
    "atencion", "atendimento", "servicio", "servico", "servizio", "sav", "compte", "cuenta", "konto", "conta",
    "verifica", "verificar", "pagamento", "pago", "cadeau", "regalo", "sorteo", "premio",
    # the rest of dnstwist's phishing dictionary
    "agree", "blue", "business", "cdn", "choose", "cl", "click", "confirmation", "connect", "download",
    "enroll", "find", "group", "http", "https", "install", "portal", "register", "ssl", "safe", "signup",
    "summary", "user", "verification", "view", "ww",
)  # fmt: skip

PARODY_WORDS: tuple[str, ...] = ("not", "fake", "parody", "fan", "fans", "unofficial", "satire")

# Every affix the generator uses by default; `--affixes FILE` replaces it (its order is the rank).
DEFAULT_AFFIXES: tuple[str, ...] = COMBO_WORDS + PARODY_WORDS

# Domain endings written into a handle: nike.com, nikecom, nike_com.
TLD_LABELS: tuple[str, ...] = ("com", "net", "org", "co", "io", "app", "shop", "store", "us", "uk", "de", "fr")

DIGIT_SUFFIXES: tuple[str, ...] = ("1", "247", "365", "123", "01", "2", "0", "24", "7", "2024", "2025", "2026")


def read_affixes(path: str | None) -> tuple[str, ...]:
    """The affixes in a file of one per line ('#' starts a comment), or the defaults."""
    if path is None:
        return DEFAULT_AFFIXES
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read affix file {path}: {getattr(exc, 'strerror', None) or exc}") from None
    affixes = tuple(
        dict.fromkeys(line.strip().casefold() for line in lines if line.strip() and not line.startswith("#"))
    )
    bad = [a for a in affixes if not a.isalnum() or len(a) > 30]
    if bad:
        raise InputError(f"{path}: affix {bad[0]!r} must be letters and digits only (30 at most)")
    if not affixes:
        raise InputError(f"{path}: no affixes in the file")
    return affixes
