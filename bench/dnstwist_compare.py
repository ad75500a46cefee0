"""handlecheck's lookalike generator against dnstwist (issue 15), for bench/lookalike_bench.py.

For each brand, dnstwist's fuzzers run on `<brand>.com` in the reference venv (bench/.venv-reference, never the
project's .venv), one subprocess for all brands, with no network: `Fuzzer.generate` does no DNS, and the child
also gets a dead proxy and an audit hook that refuses any socket connect or name lookup. Each permutation whose
second-level label is ASCII (no `xn--` part) becomes a handle: the label without `.com` (so `subdomain` keeps its
dot, `pay.pal`, and `various` is `paypalcom`); the original and `tld-swap` are dropped. Coverage of a dnstwist
fuzzer is the share of its handles that `generate(brand)` (no platform, no limit) also returns, exact strings.

The ranking side reads `generate` alone: the rank of the first candidate of the tiers that matter most, whether
the quick depth (first 30) holds each of them, and where the brand's support handles land on a platform that
allows `.` and `_`.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from reference import DEAD_PROXY, DEFAULT_VENV, LOOPBACK_NAMES

from handlecheck.candidates import generate
from handlecheck.domain import DEPTHS, Candidate, Depth, Technique, Tier
from handlecheck.models import Platform
from handlecheck.registry import parse_platforms

DNSTWIST_PIN = "dnstwist==20250130"
DICTIONARY_MIRROR = Path("/work/.mirror/elceef+dnstwist/repo")
DICTIONARY_PATH = "dictionaries/english.dict"
BRANDS: tuple[str, ...] = (
    "paypal", "nike", "google", "amazon", "apple", "microsoft", "netflix", "stripe", "slack", "uber",
    "openai", "coinbase", "binance", "spotify", "adobe", "instagram", "tesla", "samsung", "github", "dropbox",
)  # fmt: skip
DROPPED_FUZZERS = frozenset({"*original", "tld-swap"})
KEY_TIERS = (Tier.SAME_SKELETON, Tier.COMBO, Tier.ONE_EDIT)
QUICK = DEPTHS[Depth.QUICK][0] or 30
MISSES_SHOWN = 6
WORD = re.compile(r"(?:xn--[a-z0-9-]{3,59}|[a-z0-9-]{1,63})")

# A platform that allows `.` and `_` (and nothing else besides letters and digits), as the support check needs.
DOT_UNDERSCORE_PLATFORM = """\
version: 1
platforms:
  - id: dotunderscore
    name: Dot underscore
    handle: {pattern: '^[A-Za-z0-9._]{1,30}$', case: insensitive}
    checks:
      - request: {url: "https://dotunderscore.example/{{handle}}"}
        outcomes: [{verdict: taken, matchers: [{type: status, status: [200]}]}]
"""

# Run by the reference venv's python: brands and words as JSON on stdin, {brand: [[fuzzer, domain], ...]} out.
_CHILD = """\
import json, sys

def _refuse(event, args):
    if event in ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr"):
        raise PermissionError(f"benchmark: no network for dnstwist ({event})")

sys.addaudithook(_refuse)
import dnstwist

job = json.load(sys.stdin)
out = {}
for brand in job["brands"]:
    fuzzer = dnstwist.Fuzzer(brand + ".com", dictionary=job["words"])
    fuzzer.generate(fuzzers=job["fuzzers"])
    out[brand] = sorted([p["fuzzer"], p["domain"]] for p in fuzzer.domains)
json.dump({"version": dnstwist.__version__, "permutations": out}, sys.stdout)
"""


@dataclass(frozen=True)
class Dictionary:
    words: tuple[str, ...] | None  # None: not found, so the dictionary fuzzer is skipped
    source: str


@dataclass(frozen=True)
class FamilyCoverage:
    fuzzer: str
    total: int  # dnstwist's ASCII handles over all brands
    covered: int  # of them, also among ours
    skipped_non_ascii: int
    misses: tuple[str, ...]  # a few that we do not generate


@dataclass(frozen=True)
class BrandRanks:
    brand: str
    candidates: int
    dnstwist_handles: int
    first: dict[str, tuple[int, str] | None]  # tier name -> 1-based rank and handle of its first candidate
    quick_has_all: bool
    support_ranks: dict[str, int | None]  # handle -> rank on the dot/underscore platform, None past the quick depth


# --------------------------------------------------------------------------- dnstwist's side


def read_dictionary(path: Path | None) -> Dictionary:
    if path is not None:
        try:
            return Dictionary(_words(path.read_text(encoding="utf-8")), str(path))
        except (OSError, UnicodeDecodeError) as problem:
            return Dictionary(None, f"cannot read {path}: {problem}")
    command = ["git", f"--git-dir={DICTIONARY_MIRROR}", "show", f"HEAD:{DICTIONARY_PATH}"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError:  # no git
        done = subprocess.CompletedProcess(command, 127, "", "")
    if done.returncode != 0:
        return Dictionary(None, f"not found ({DICTIONARY_MIRROR} has no {DICTIONARY_PATH}; use --dictionary PATH)")
    return Dictionary(_words(done.stdout), f"{DICTIONARY_MIRROR.parent.name} HEAD:{DICTIONARY_PATH}")


def _words(text: str) -> tuple[str, ...]:
    """The words dnstwist's command line would keep from a dictionary file (its `-d` reading, 20250130)."""
    return tuple(sorted({w for w in text.lower().splitlines() if WORD.fullmatch(w)}))


def _python(venv: Path) -> Path:
    return venv / "bin" / "python"


def ensure_dnstwist(venv: Path = DEFAULT_VENV) -> None:
    """Install the pinned dnstwist into the reference venv (creating it) if it is not there yet."""
    python = _python(venv)
    if not python.exists():
        subprocess.run(["python3", "-m", "venv", str(venv)], check=True)
    probe = subprocess.run([str(python), "-c", "import dnstwist"], capture_output=True, check=False)
    if probe.returncode != 0:
        pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "--quiet", DNSTWIST_PIN]
        subprocess.run(pip, check=True)


def _child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k.lower() not in {"all_proxy", "pythonpath", "pythonhome"}}
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        env[name] = env[name.lower()] = DEAD_PROXY
    env["NO_PROXY"] = env["no_proxy"] = LOOPBACK_NAMES
    env.pop("VIRTUAL_ENV", None)
    return env


def _fuzzers(with_dictionary: bool) -> list[str]:
    """dnstwist's default fuzzer list (20250130), less tld-swap, and less dictionary without words."""
    names = [
        "addition", "bitsquatting", "cyrillic", "homoglyph", "hyphenation", "insertion", "omission", "plural",
        "repetition", "replacement", "subdomain", "transposition", "vowel-swap", "dictionary", "various",
    ]  # fmt: skip
    return names if with_dictionary else [n for n in names if n != "dictionary"]


def run_dnstwist(
    brands: Sequence[str], dictionary: Dictionary, venv: Path = DEFAULT_VENV
) -> tuple[str, dict[str, list[tuple[str, str]]]]:
    """dnstwist's version and its permutations per brand: {brand: [(fuzzer, domain), ...]}."""
    job = {"brands": list(brands), "words": list(dictionary.words or ()), "fuzzers": _fuzzers(bool(dictionary.words))}
    done = subprocess.run(
        [str(_python(venv)), "-c", _CHILD],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        env=_child_env(),
        check=False,
        timeout=600,
    )
    if done.returncode != 0:
        raise RuntimeError(f"dnstwist failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    answer = json.loads(done.stdout)
    perms = {brand: [(f, d) for f, d in rows] for brand, rows in answer["permutations"].items()}
    return str(answer["version"]), perms


def handle_of(domain: str) -> str | None:
    """The handle a permutation stands for: its label(s) before `.com`, or None if not ASCII or not `.com`."""
    if not domain.endswith(".com"):
        return None
    label = domain.removesuffix(".com")
    if not label.isascii() or any(part.startswith("xn--") for part in label.split(".")):
        return None
    return label


# --------------------------------------------------------------------------- the comparison


def coverage(
    permutations: dict[str, list[tuple[str, str]]], ours: dict[str, frozenset[str]]
) -> tuple[FamilyCoverage, ...]:
    """Per dnstwist fuzzer, summed over brands; then over all of them, and all but the dictionary (a word list,
    not a technique: its coverage says how alike the two lists are)."""
    totals: dict[str, list[tuple[str, str]]] = {}
    skipped: dict[str, int] = {}
    for brand, rows in permutations.items():
        for fuzzer, domain in rows:
            if fuzzer in DROPPED_FUZZERS:
                continue
            handle = handle_of(domain)
            if handle is None or handle == brand:
                skipped[fuzzer] = skipped.get(fuzzer, 0) + (handle is None)
                continue
            totals.setdefault(fuzzer, []).append((brand, handle))
    out = []
    for fuzzer in sorted(set(totals) | set(skipped)):
        pairs = totals.get(fuzzer, [])
        missed = [h for b, h in pairs if h not in ours[b]]
        covered = len(pairs) - len(missed)
        out.append(FamilyCoverage(fuzzer, len(pairs), covered, skipped.get(fuzzer, 0), _spread(missed)))
    for name, left_out in (("all", ""), ("all-but-dictionary", "dictionary")):
        every = sorted({pair for fuzzer, pairs in totals.items() if fuzzer != left_out for pair in pairs})
        missed = [h for b, h in every if h not in ours[b]]
        non_ascii = sum(n for fuzzer, n in skipped.items() if fuzzer != left_out)
        out.append(FamilyCoverage(name, len(every), len(every) - len(missed), non_ascii, _spread(missed)))
    return tuple(out)


def _spread(missed: Sequence[str]) -> tuple[str, ...]:
    """A few misses, taken evenly through the list so that they are not all one brand's."""
    if len(missed) <= MISSES_SHOWN:
        return tuple(missed)
    step = len(missed) / MISSES_SHOWN
    return tuple(missed[int(i * step)] for i in range(MISSES_SHOWN))


def dot_underscore_platform() -> Platform:
    (platform,) = parse_platforms(DOT_UNDERSCORE_PLATFORM, source="bench")
    return platform


def brand_ranks(brand: str, candidates: Sequence[Candidate], platform: Platform, dnstwist_handles: int) -> BrandRanks:
    first: dict[str, tuple[int, str] | None] = {}
    for tier in KEY_TIERS:
        first[tier.name.lower()] = next(((i, c.handle) for i, c in enumerate(candidates, 1) if c.tier is tier), None)
    letters = ((i, c.handle) for i, c in enumerate(candidates, 1) if c.tier is Tier.ONE_EDIT and not _edge(c))
    first["letter_typo"] = next(letters, None)  # a typo in the letters, not a separator at an edge (paypal_)
    quick_tiers = {c.tier for c in candidates[:QUICK]}
    on_platform = [c.handle for c in generate(brand, platform=platform, limit=QUICK)]
    support = {h: _position(on_platform, h) for h in (f"{brand}_support", f"{brand}support")}
    quick_has_all = all(t in quick_tiers for t in KEY_TIERS)
    return BrandRanks(brand, len(candidates), dnstwist_handles, first, quick_has_all, support)


def _position(handles: list[str], handle: str) -> int | None:
    return handles.index(handle) + 1 if handle in handles else None


@dataclass(frozen=True)
class Comparison:
    dnstwist_version: str
    dictionary: str
    families: tuple[FamilyCoverage, ...]
    brands: tuple[BrandRanks, ...]

    def to_dict(self) -> dict[str, object]:
        counts = [b.candidates for b in self.brands]
        return {
            "dnstwist_version": self.dnstwist_version,
            "dictionary": self.dictionary,
            "coverage": {
                f.fuzzer: {
                    "dnstwist_handles": f.total,
                    "covered": f.covered,
                    "share": round(f.covered / f.total, 3) if f.total else None,
                    "skipped_non_ascii": f.skipped_non_ascii,
                    "missed_examples": list(f.misses),
                }
                for f in self.families
            },
            "brands": {
                b.brand: {
                    "candidates": b.candidates,
                    "dnstwist_handles": b.dnstwist_handles,
                    "first": {t: None if f is None else {"rank": f[0], "handle": f[1]} for t, f in b.first.items()},
                    "quick_has_all_three": b.quick_has_all,
                    "support_rank_in_quick": b.support_ranks,
                }
                for b in self.brands
            },
            "candidates_max": max(counts),
            "candidates_median": statistics.median(counts),
        }


def compare(brands: Sequence[str], dictionary: Dictionary, venv: Path = DEFAULT_VENV) -> Comparison:
    ensure_dnstwist(venv)
    version, permutations = run_dnstwist(brands, dictionary, venv)
    platform = dot_underscore_platform()
    generated = {brand: generate(brand) for brand in brands}
    ours = {brand: frozenset(c.handle for c in cands) for brand, cands in generated.items()}
    families = coverage(permutations, ours)
    ranks = []
    for brand in brands:
        theirs = {handle_of(d) for f, d in permutations[brand] if f not in DROPPED_FUZZERS} - {None, brand}
        ranks.append(brand_ranks(brand, generated[brand], platform, len(theirs)))
    source = dictionary.source if dictionary.words else f"dictionary fuzzer skipped: {dictionary.source}"
    return Comparison(version, source, families, tuple(ranks))


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    """Columns right-aligned to their widest cell, the first and the last left-aligned."""
    cells = [[str(x) for x in row] for row in (header, *rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    last = len(header) - 1

    def line(row: list[str]) -> str:
        parts = [c.ljust(w) if i in (0, last) else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))]
        return "  ".join(parts).rstrip()

    return [line(row) for row in cells]


def render(result: Comparison) -> str:
    lines = [f"dnstwist {result.dnstwist_version} vs handlecheck.candidates.generate; dictionary: {result.dictionary}"]
    families = [
        (f.fuzzer, f.total, f.covered, f"{f.covered / f.total:.0%}" if f.total else "n/a", f.skipped_non_ascii,
         " ".join(f.misses))
        for f in result.families
    ]  # fmt: skip
    lines += _table(("dnstwist fuzzer", "ASCII", "ours", "share", "non-ASCII", "missed, e.g."), families)
    brands = [
        (b.brand, b.candidates, b.dnstwist_handles, *(_first(b.first[t.name.lower()]) for t in KEY_TIERS),
         _first(b.first["letter_typo"]),
         "yes" if b.quick_has_all else "NO", " ".join(f"{h}@{_rank(r)}" for h, r in b.support_ranks.items()))
        for b in result.brands
    ]  # fmt: skip
    header = (
        "brand", "ours", "dnstwist", "1st skeleton", "1st combo", "1st typo", "1st letter typo", "all 3 in 30",
        "support in 30",
    )  # fmt: skip
    lines += ["", *_table(header, brands)]
    counts = [b.candidates for b in result.brands]
    lines.append(f"candidates per brand: max {max(counts)}, median {statistics.median(counts):g}")
    return "\n".join(lines)


def _edge(candidate: Candidate) -> bool:
    return candidate.technique is Technique.SEPARATOR


def _rank(rank: int | None) -> str:
    return "-" if rank is None else str(rank)


def _first(first: tuple[int, str] | None) -> str:
    return "-" if first is None else f"{first[0]} {first[1]}"
