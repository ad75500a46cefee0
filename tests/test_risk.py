"""Scoring found accounts: a table of hand-written profiles over the pure `assess`, then the
properties every finding must keep (its reasons add up to its risk; phishing wording only ever
raises the risk; no disclaimer turns a phishing account into a parody or a fan)."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

import pytest

import handlecheck.risk
from handlecheck.candidates import Brand
from handlecheck.domain import Candidate, Classification, Technique, Tier
from handlecheck.models import Profile
from handlecheck.risk import HANDLE_SCORE, POINTS, Assessment, assess

IMP, PARODY, FAN = Classification.IMPERSONATOR, Classification.PARODY, Classification.FAN
NONE = Classification.UNRELATED
OWN = {
    "Acme": ("acme.com",), "Nike": ("nike.com", "nike.com.br"), "Stripe": ("stripe.com",), "Slack": ("slack.com",),
    "Uber": ("uber.com",), "OpenAI": ("openai.com", "chatgpt.com"), "PayPal": ("paypal.com",),
}  # fmt: skip


def cand(handle: str, tier: Tier, technique: Technique = Technique.AFFIX, detail: str = "") -> Candidate:
    return Candidate(handle=handle, techniques=(technique,), tier=tier, detail=detail)


def profile(name: str | None, bio: str | None = None, verified: bool | None = None) -> Profile:
    return Profile(display_name=name, bio=bio, followers=120, verified=verified)


@dataclass(frozen=True)
class Case:
    name: str
    brand: str
    candidate: Candidate
    profile: Profile | None
    classification: Classification
    low: int
    high: int


SS, COMBO, ONE, COMBINED, OTHER, PF, NOISE = (
    Tier.SAME_SKELETON, Tier.COMBO, Tier.ONE_EDIT, Tier.COMBINED, Tier.OTHER, Tier.PARODY_OR_FAN, Tier.SEPARATOR_NOISE,
)  # fmt: skip
H, KEY, PLURAL, ADD = Technique.HOMOGLYPH, Technique.KEYBOARD_REPLACEMENT, Technique.PLURAL, Technique.ADDITION

CASES = [
    # --- English: impersonators and scams
    Case("en: brand name, official support, DM us", "Acme", cand("acme_support", COMBO, detail="support"),
         profile("ACME", "Official ACME support. DM us your order number, we reply 24/7"), IMP, 80, 100),
    Case("en: 'not affiliated' cannot halve a login request", "PayPal", cand("paypall", ONE, Technique.REPETITION),
         profile("PayPal Help", "Not affiliated with PayPal. DM us your login details to restore your account."),
         IMP, 85, 100),
    Case("en: a giveaway on a fan page is still a scam", "Nike", cand("nikefans", PF, detail="fans"),
         profile("Nike Fans", "Fan page. Huge giveaway: send 0.1 BTC to get 1 BTC back"), IMP, 60, 100),
    Case("en: verify your account at a lookalike domain", "OpenAI", cand("0penai_support", COMBINED, H, "support"),
         profile("OpenAI Support", "Your account is flagged. Verify your account at openai-verify.com"), IMP, 90, 100),
    Case("en: OpenAI written with its capital I", "OpenAI", cand("openal", SS, H), profile("OpenAI"), IMP, 60, 80),
    Case("en: OpenAl with a small L, beside a service word", "OpenAI", cand("openai_help", COMBO, detail="help"),
         profile("OpenAl Support Team", "We are here for you"), IMP, 55, 75),
    Case("en: the brand split into its words", "OpenAI", cand("open_ai", SS, Technique.SEPARATOR),
         profile("Open AI Help Center", "Questions about your plan? Message us"), IMP, 70, 100),
    Case("en: NIKE STORE in capitals", "Nike", cand("nikee", ONE, Technique.REPETITION),
         profile("NIKE STORE", "Best prices, shipping worldwide"), IMP, 40, 60),
    Case("en: a namesake that asks for a password is phishing", "Uber", cand("ubers", OTHER, PLURAL),
         profile("Ubers Support", "Send your password to get your refund"), IMP, 40, 70),
    Case("en: a lookalike domain makes the claim", "Acme", cand("acne", ONE, KEY),
         profile("Deals", "Claim at acme-rewards.com now"), IMP, 50, 70),
    Case("en: the brand's own domain as a subdomain trick", "PayPal", cand("paypal2024", OTHER, Technique.DIGIT_SUFFIX),
         profile("Security", "Log in at paypal.com.secure-login.net to keep access"), IMP, 40, 60),
    Case("en: a typo of the whole domain label", "Stripe", cand("stirpe", ONE, Technique.TRANSPOSITION),
         profile("Payouts", "Get paid faster: strpie.co"), IMP, 40, 60),
    Case("en: a verified account with the brand's name scores less", "Nike",
         cand("nikesupport", COMBO, detail="support"),
         profile("Nike Support", None, verified=True), IMP, 45, 65),
    Case("en: verified does not soften a password request", "Stripe", cand("str1pe", SS, H),
         profile("Stripe", "Send your password to unlock your payouts", verified=True), IMP, 90, 100),
    # --- English: parody, fan, namesakes, unrelated
    Case("en: labelled parody", "Acme", cand("acmeparody", PF, detail="parody"),
         profile("ACME Parody", "Parody account. Not affiliated with ACME."), PARODY, 5, 30),
    Case("en: fan account", "Acme", cand("acmefans", PF, detail="fans"),
         profile("ACME Fans", "Fan account for everything ACME"), FAN, 5, 30),
    Case("en: unofficial fan page is a fan, not a parody", "Nike", cand("n1ke", SS, H),
         profile("Nike", "Unofficial fan page. Sneaker news and drops"), FAN, 10, 45),
    Case("en: satire", "Uber", cand("notuber", PF, detail="not"),
         profile("Not Uber", "Satire. We surge-price your feelings."), PARODY, 0, 25),
    Case("en: a fan page that warns never to share a password", "Nike", cand("nikefans", PF, detail="fans"),
         profile("Nike Fans", "Fan page. Never share your password with anyone."), FAN, 0, 25),
    Case("en: a verified fan account", "Nike", cand("nikefans", PF, detail="fans"),
         profile("Nike Fans", "Fan account", verified=True), FAN, 0, 10),
    Case("en: namesake person, brand inside a longer name", "Nike", cand("nikesh", OTHER, ADD),
         profile("Nikesh Patel", "Software engineer. Helpful tips on Python. DM for collabs"), NONE, 0, 15),
    Case("en: namesake band", "Stripe", cand("stripes", OTHER, PLURAL),
         profile("The Stripes", "Indie band from Leeds. Ticket giveaway this Friday!"), NONE, 0, 15),
    Case("en: namesake business", "Slack", cand("slacks", OTHER, PLURAL),
         profile("Slacks & Co", "Tailored trousers. Customer service: hello@slacksandco.com"), NONE, 0, 15),
    Case("en: annaubers.de is no lookalike of uber.com", "Uber", cand("ubers", OTHER, PLURAL),
         profile("Anna Ubers", "Wedding photography - annaubers.de"), NONE, 0, 15),
    Case("en: the brand as a person's surname", "Uber", cand("annauber", OTHER),
         profile("Anna Uber", "Support engineer in Berlin"), NONE, 0, 15),
    Case("en: the brand as a person's first name", "Nike", cand("nike_adeyemi", OTHER),
         profile("Nike Adeyemi", "Mum of two. Runner. Lagos."), NONE, 0, 15),
    Case("en: a pizzeria whose name starts with the brand", "Uber", cand("uberto", OTHER, ADD),
         profile("Uberto's Pizza", "Best pizza in Rome. Order via WhatsApp"), NONE, 0, 15),
    Case("en: a similar handle that shows nothing of the brand", "Acme", cand("acne", ONE, KEY),
         profile("Acne Clinic", "Dermatology tips every day"), NONE, 0, 15),
    Case("en: links to the brand's own domains only", "Acme", cand("acne", ONE, KEY),
         profile("Deals", "Shop at acme.com and help.acme.com"), NONE, 0, 15),
    Case("en: the brand inside a longer domain label", "Nike", cand("nikes", OTHER, PLURAL),
         profile("Trail blog", "Reviews at bikeniketrail.org"), NONE, 0, 15),
    Case("en: separator noise, nothing of the brand", "Nike", cand("ni_ke", NOISE, Technique.SEPARATOR),
         profile("Kenji", "Photos"), NONE, 0, 15),
    # --- other scripts
    Case("fullwidth display name", "Nike", cand("nlke", SS, H), profile("\uff2e\uff29\uff2b\uff25"), IMP, 60, 80),
    Case("Greek capitals", "Nike", cand("nlke", SS, H), profile("\u039d\u0399\u039a\u0395"), IMP, 60, 80),
    Case("Cyrillic display name with customer care", "Acme", cand("acrne_help", COMBINED, H, "help"),
         profile("\u0410\u0421\u041c\u0415 Support", "Customer care 24/7"), IMP, 60, 85),
    # --- Spanish
    Case("es: soporte pide la contrasena por MD", "Nike", cand("nike_soporte", COMBO, detail="soporte"),
         profile("Nike Soporte", "Verifica tu cuenta: envíanos tu contraseña por MD"), IMP, 85, 100),
    Case("es: 'no oficial' no anula el robo de claves", "PayPal", cand("paypall", ONE, Technique.REPETITION),
         profile("PayPal Ayuda", "Cuenta no oficial. Recupera tu cuenta: mándanos el código de verificación"),
         IMP, 85, 100),
    Case("es: cuenta de fans no oficial", "Nike", cand("nikefans", PF, detail="fans"),
         profile("Nike Fans España", "Cuenta de fans no oficial. Noticias y lanzamientos."), FAN, 5, 25),
    Case("es: parodia", "Uber", cand("uber_parody", PF, detail="parody"),
         profile("Uber Parodia", "Parodia. No afiliado con Uber."), PARODY, 5, 25),
    # --- German
    Case("de: Konto gesperrt, Passwort per DM", "PayPal", cand("paypal_kundenservice", COMBO, detail="kundenservice"),
         profile("PayPal Kundenservice", "Ihr Konto wurde gesperrt. Schreiben Sie uns eine DM mit Ihrem Passwort."),
         IMP, 90, 100),
    Case("de: Gewinnspiel mit Gebühr, trotz 'nicht offiziell'", "Uber", cand("ubet", ONE, KEY),
         profile("Uber Deutschland",
                 "Nicht offiziell. Gewinnspiel: Bearbeitungsgebühr per Überweisung zahlen, Gutschein sichern"),
         IMP, 75, 100),
    Case("de: inoffizielle Fanseite", "Nike", cand("n1ke", SS, H),
         profile("Nike", "Inoffizielle Fanseite. Nicht mit Nike verbunden."), FAN, 10, 45),
    Case("de: Satire", "Slack", cand("notslack", PF, detail="not"),
         profile("Slack, aber ehrlich", "Satire-Account. Nicht offiziell."), PARODY, 0, 25),
    # --- French
    Case("fr: service client, remboursement, coordonnées bancaires", "Nike",
         cand("nike_serviceclient", COMBO, detail="service"),
         profile("Service Client Nike", "Remboursement rapide ! Envoyez vos coordonnées bancaires en MP"),
         IMP, 85, 100),
    Case("fr: compte parodique non affilié", "Stripe", cand("stripe_parody", PF, detail="parody"),
         profile("Stripe Parodie", "Compte parodique, non affilié à Stripe."), PARODY, 5, 30),
    Case("fr: page de fans non officielle", "Slack", cand("slackfans", PF, detail="fans"),
         profile("Slack Fans", "Page de fans non officielle"), FAN, 5, 25),
    # --- Portuguese
    Case("pt: sorteio com taxa via pix", "Nike", cand("nike_oficial", COMBO, detail="oficial"),
         profile("Nike Brasil Oficial", "Sorteio! Pague a taxa de liberação via pix para receber seu prêmio"),
         IMP, 85, 100),
    Case("pt: recupere sua conta com a senha", "Uber", cand("uuber", ONE, Technique.REPETITION),
         profile("Suporte Uber", "Recupere sua conta: envie sua senha por direct"), IMP, 85, 100),
    Case("pt: página de fãs não oficial", "Nike", cand("nikefans", PF, detail="fans"),
         profile("Nike Fãs", "Página de fãs não oficial"), FAN, 5, 25),
    Case("pt: conta de paródia", "PayPal", cand("paypal_fake", PF, detail="fake"),
         profile("PayPal Paródia", "Conta de paródia, sem vínculo com o PayPal"), PARODY, 5, 25),
    # --- Italian
    Case("it: account sospeso, codice di verifica", "Nike", cand("n1ke_assistenza", COMBINED, H, "assistenza"),
         profile("Assistenza Nike", "Account sospeso? Scrivici in DM con il codice di verifica"), IMP, 85, 100),
    Case("it: pagina fan non ufficiale", "Nike", cand("nikefan", PF, detail="fan"),
         profile("Nike Fan Club Italia", "Pagina fan non ufficiale"), FAN, 5, 25),
    Case("it: account satirico", "Uber", cand("fakeuber", PF, detail="fake"),
         profile("Uber (satira)", "Account satirico. Non affiliato."), PARODY, 0, 25),
    # --- no readable profile: the handle alone decides
    Case("no profile: same skeleton", "Nike", cand("nlke", SS, H), None, IMP, 45, 45),
    Case("no profile: combo", "Acme", cand("acme_support", COMBO, detail="support"), None, IMP, 40, 40),
    Case("no profile: one edit", "Acme", cand("acne", ONE, KEY), None, NONE, 30, 30),
    Case("no profile: combined", "PayPal", cand("paypa1_help", COMBINED, H, "help"), None, IMP, 35, 35),
    Case("no profile: other", "Nike", cand("nike2024", OTHER, Technique.DIGIT_SUFFIX), None, NONE, 15, 15),
    Case("no profile: parody word", "Acme", cand("acmeparody", PF, detail="parody"), None, PARODY, 10, 10),
    Case("no profile: not word", "Acme", cand("notacme", PF, detail="not"), None, PARODY, 10, 10),
    Case("no profile: fan word", "Acme", cand("acmefans", PF, detail="fans"), None, FAN, 10, 10),
    Case("no profile: separator noise", "Nike", cand("ni.ke", NOISE, Technique.SEPARATOR), None, NONE, 20, 20),
    Case("an empty profile is no profile", "Acme", cand("acme_support", COMBO, detail="support"), profile(None, ""),
         IMP, 40, 40),
]  # fmt: skip

PHISHING = (
    "DM us your password to unlock your account.",
    "Verifica tu cuenta y envíanos el código de verificación.",
    "Bestätigen Sie Ihr Konto: senden Sie uns Ihr Passwort.",
    "Envoyez votre mot de passe pour récupérer votre compte.",
    "Informe os dados do cartão para receber o reembolso.",
    "Invia i dati della carta per sbloccare il tuo account.",
)
DISCLAIMERS = (
    "Parody account, not affiliated.",
    "Unofficial fan page.",
    "Cuenta de fans no oficial.",
    "Satire. Nicht offiziell.",
    "Compte parodique, non affilié.",
    "Página de fãs não oficial.",
    "Pagina fan non ufficiale.",
)
_POINTS = re.compile(r"\(([+-]\d+)\)$")


def judge(case: Case) -> Assessment:
    return assess(Brand.parse(case.brand), case.candidate, case.profile, OWN[case.brand])


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(case: Case) -> None:
    result = judge(case)
    assert result.classification is case.classification, result.reasons
    assert case.low <= result.risk <= case.high, (result.risk, result.reasons)


def test_the_table_covers_the_brief() -> None:
    assert len(CASES) >= 40
    for language in ("en", "es", "de", "fr", "pt", "it"):
        classes = {c.classification for c in CASES if c.name.startswith(language + ":")}
        assert IMP in classes and classes & {FAN, PARODY}, language
    assert {c.candidate.tier for c in CASES if c.profile is None} == set(Tier)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_every_score_change_names_its_reason(case: Case) -> None:
    """Each reason that moves the score ends with its points; together they are the risk."""
    result = judge(case)
    assert result.reasons[0].startswith(f"handle {case.candidate.handle!r}: ")
    assert all(reason.strip() and "\n" not in reason for reason in result.reasons)
    points = [int(m.group(1)) for m in map(_POINTS.search, result.reasons) if m]
    assert points[0] == HANDLE_SCORE[case.candidate.tier]
    assert sum(points) == result.risk, result.reasons
    if case.profile is None or not (case.profile.display_name or case.profile.bio):
        assert any("judged by the handle alone" in reason for reason in result.reasons)


def _with_bio(case: Case, extra: str) -> Case:
    old = case.profile or profile(None)
    bio = f"{old.bio}\n{extra}" if old.bio else extra
    return dataclasses.replace(case, profile=dataclasses.replace(old, bio=bio))


@pytest.mark.parametrize("sentence", PHISHING)
def test_phishing_wording_never_lowers_the_risk_and_makes_an_impersonator(sentence: str) -> None:
    for case in CASES:
        before, after = judge(case), judge(_with_bio(case, sentence))
        assert after.risk >= before.risk, (case.name, before.reasons, after.reasons)
        assert after.classification is IMP, (case.name, after.reasons)


@pytest.mark.parametrize("disclaimer", DISCLAIMERS)
def test_no_disclaimer_cancels_phishing(disclaimer: str) -> None:
    """Before or after the phishing line, a disclaimer changes neither the class nor lowers the risk."""
    for case in CASES:
        for sentence in PHISHING[::2]:
            phishing = judge(_with_bio(case, sentence))
            for bio in (f"{sentence} {disclaimer}", f"{disclaimer} {sentence}"):
                after = judge(_with_bio(case, bio))
                assert after.classification is IMP, (case.name, bio, after.reasons)
                assert after.risk >= phishing.risk, (case.name, bio, after.reasons)


def test_a_disclaimer_lowers_a_claim_without_phishing() -> None:
    claim = Case("claim", "Nike", cand("nikee", ONE, Technique.REPETITION), profile("NIKE STORE", "Shop"), IMP, 0, 0)
    labelled = _with_bio(claim, "Unofficial fan page.")
    assert judge(labelled).classification is FAN and judge(labelled).risk < judge(claim).risk


def test_word_boundaries() -> None:
    """'helpful' is not 'help', 'unofficial' is not 'official', 'supporters' is not 'support'."""
    base = Case("b", "Nike", cand("nike_store", COMBO, detail="store"), profile("Nike Runners", "Runs"), NONE, 0, 0)
    plain = judge(base).risk
    for bio in ("Helpful running tips", "Officially the best runs", "Supporters of local races"):
        assert judge(_with_bio(base, bio)).risk == plain, bio
    assert judge(_with_bio(base, "Official support")).risk > plain


def test_lookalike_domains_are_whole_labels_or_parts() -> None:
    base = Case("d", "Uber", cand("ubr", ONE, Technique.OMISSION), profile("Rides", "Cheap rides"), NONE, 0, 0)
    hits = ("uber-refunds.com", "login.uber.com.help-desk.io", "myuber.app", "https://uber.support/claim",
            "ub\u0435r-pay.net", "ubersupport.net")  # fmt: skip
    misses = ("annaubers.de", "uber.com", "help.uber.com", "suburban.com", "uberto.it", "exuberant.org")
    for domain in hits:
        result = judge(_with_bio(base, f"Visit {domain} now"))
        assert any("lookalike domain" in r for r in result.reasons), (domain, result.reasons)
    for domain in misses:
        result = judge(_with_bio(base, f"Visit {domain} now"))
        assert not any("lookalike domain" in r for r in result.reasons), (domain, result.reasons)


def test_the_docstring_documents_the_score_table() -> None:
    """The module docstring's tables are the scores the code uses."""
    doc = handlecheck.risk.__doc__ or ""
    rows = dict((name, int(points)) for points, name in re.findall(r"^ {4}([+-]?\d+) +([a-z_]+)\b", doc, re.M))
    expected = {tier.name.lower(): score for tier, score in HANDLE_SCORE.items()} | dataclasses.asdict(POINTS)
    assert rows == expected
    assert set(HANDLE_SCORE) == set(Tier)


def test_the_planted_hunt_accounts_rank_the_impersonator_first() -> None:
    brand = Brand.parse("ACME")
    impostor = assess(brand, cand("acme_support", COMBO, detail="support"), profile("ACME", "DM us for support"))
    parody = assess(brand, cand("acmeparody", PF, detail="parody"), profile("ACME Parody", "parody"))
    fan = assess(brand, cand("acmefans", PF, detail="fans"), profile("ACME fans", "fan account"))
    assert impostor.risk > parody.risk and impostor.risk > fan.risk
    assert (impostor.classification, parody.classification, fan.classification) == (IMP, PARODY, FAN)
