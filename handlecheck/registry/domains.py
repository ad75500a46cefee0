"""The brand's domain names as platforms: one entry per TLD, asked over RDAP.

Each TLD's RDAP server comes from IANA's bootstrap file (RFC 9224): a dated copy ships in
data/rdap-bootstrap.json, `handlecheck platforms rdap-bootstrap` downloads a newer one into the
user's data folder, and a run uses the newer of the two (or the file an override names). The
entries are written in the platform-file format and built by the registry's own builder, so a
domain is checked, paced and judged like any platform: 404 is available, a domain object on
hold (client hold, server hold) or reserved is reserved, any other domain object is taken, and
the engine's guards make a 429, a 5xx or an answer no outcome explains unknown.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import platformdirs

from ..errors import ConfigError, InputError
from ..models import Platform
from .build import build_entries

IANA_BOOTSTRAP_URL = "https://data.iana.org/rdap/dns.json"
ENVIRONMENT = "HANDLECHECK_RDAP_BOOTSTRAP"
DOMAIN_TAG = "domain"
MAX_BOOTSTRAP_BYTES = 4 * 2**20  # IANA's file is about 70 KB
SHIPPED = "shipped RDAP bootstrap"

# A DNS label in letters, digits and hyphens (RFC 1123): 1 to 63, no hyphen at either end.
LABEL_PATTERN = "^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$"
# The domain's own status list (the first "status" of the object) holding a hold or reserved.
_HELD = r'"status"\s*:\s*\[[^\]]{0,2000}?"(?:client hold|server hold|reserved)"'
# The registrar entity's vCard name, the roles written before or after the vCard.
_REGISTRAR = (
    r'(?|"roles"\s*:\s*\[\s*"registrar"\s*\][\s\S]{0,3000}?\[\s*"fn"\s*,\s*\{[^{}]*\}\s*,\s*"text"\s*,\s*"([^"]+)"'
    r'|\[\s*"fn"\s*,\s*\{[^{}]*\}\s*,\s*"text"\s*,\s*"([^"]+)"[^{}]{0,3000}?"roles"\s*:\s*\[\s*"registrar"\s*\])'
)
# The registration event's date, whichever of its two members comes first.
_REGISTERED = (
    r'(?|"eventAction"\s*:\s*"registration"\s*,\s*"eventDate"\s*:\s*"([^"]+)"'
    r'|"eventDate"\s*:\s*"([^"]+)"\s*,\s*"eventAction"\s*:\s*"registration")'
)


@dataclass(frozen=True, slots=True)
class Bootstrap:
    """An RDAP bootstrap file: when IANA published it, where it was read, and each TLD's base URL."""

    publication: str
    source: str
    servers: tuple[tuple[str, str], ...]

    def base(self, tld: str) -> str | None:
        return dict(self.servers).get(normal_tld(tld))


def normal_tld(tld: str) -> str:
    """A TLD as the bootstrap writes it: lower case, no leading dot, IDNs as A-labels."""
    text = tld.strip().lstrip(".").lower()
    try:
        return text if text.isascii() else text.encode("idna").decode("ascii")
    except UnicodeError:
        return text


def parse_bootstrap(text: str, *, source: str) -> Bootstrap:
    """Read an RDAP bootstrap document; a ConfigError names the file when it is not one."""
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ConfigError(f"not JSON: {exc}", source=source) from None
    services = document.get("services") if isinstance(document, dict) else None
    publication = document.get("publication") if isinstance(document, dict) else None
    if not isinstance(services, list) or not isinstance(publication, str):
        raise ConfigError("not an RDAP bootstrap file (no 'publication' and 'services')", source=source)
    servers: dict[str, str] = {}
    for index, service in enumerate(services):
        if not (isinstance(service, list) and len(service) >= 2 and all(isinstance(s, list) for s in service[:2])):
            raise ConfigError("an entry is not [[TLDs], [URLs]]", source=source, path=f"services[{index}]")
        tlds, urls = service[0], [u for u in service[1] if isinstance(u, str) and u.startswith(("https://", "http://"))]
        if not urls:
            continue
        chosen = next((u for u in urls if u.startswith("https://")), urls[0])
        for tld in tlds:
            if isinstance(tld, str):
                servers.setdefault(normal_tld(tld), chosen if chosen.endswith("/") else chosen + "/")
    return Bootstrap(publication, source, tuple(sorted(servers.items())))


def shipped_path() -> Path:
    return Path(str(resources.files("handlecheck") / "data" / "rdap-bootstrap.json"))


def downloaded_path() -> Path:
    """Where `platforms rdap-bootstrap` keeps the file it downloads: the user's data folder."""
    return platformdirs.user_data_path("handlecheck", appauthor=False) / "rdap-bootstrap.json"


def read_bootstrap(path: str | Path, source: str | None = None) -> Bootstrap:
    where = source or str(path)
    try:
        with Path(path).open("rb") as stream:
            data = stream.read(MAX_BOOTSTRAP_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"cannot read RDAP bootstrap: {exc.strerror or exc}", source=where) from None
    if len(data) > MAX_BOOTSTRAP_BYTES:
        raise ConfigError(f"more than {MAX_BOOTSTRAP_BYTES // 2**20} MiB: not an RDAP bootstrap file", source=where)
    try:
        return parse_bootstrap(data.decode("utf-8"), source=where)
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text ({exc.reason})", source=where) from None


def load_bootstrap(override: str | Path | None = None, environ: Mapping[str, str] | None = None) -> Bootstrap:
    """The bootstrap a run uses: `override`, else $HANDLECHECK_RDAP_BOOTSTRAP, else the newer
    (by IANA's publication date) of the shipped copy and the downloaded one."""
    chosen = override or (os.environ if environ is None else environ).get(ENVIRONMENT)
    if chosen:
        return read_bootstrap(chosen)
    shipped = read_bootstrap(shipped_path(), SHIPPED)
    if not downloaded_path().is_file():
        return shipped
    downloaded = read_bootstrap(downloaded_path())
    return downloaded if downloaded.publication > shipped.publication else shipped


def missing_tlds(bootstrap: Bootstrap, tlds: Iterable[str]) -> tuple[str, ...]:
    """The TLDs of `tlds` that have no RDAP server in the bootstrap."""
    return tuple(t for t in dict.fromkeys(normal_tld(t) for t in tlds) if bootstrap.base(t) is None)


def missing_message(bootstrap: Bootstrap, missing: Sequence[str]) -> str:
    names = ", ".join(f".{t}" for t in missing)
    return (
        f"no RDAP server for {names} in the RDAP bootstrap ({bootstrap.source}, published {bootstrap.publication}); "
        "refresh it with: handlecheck platforms rdap-bootstrap"
    )


def domain_entry(tld: str, base: str) -> dict[str, Any]:
    """The platform-file entry that checks `{{handle}}.TLD` at the RDAP server `base`."""
    url = f"{base}domain/{{{{handle}}}}.{tld}"
    request = {"method": "GET", "url": url, "headers": {"Accept": "application/rdap+json, application/json;q=0.9"}}
    domain_object = {"type": "json", "path": "objectClassName", "equals": "domain"}
    return {
        "id": f"domain-{tld}",
        "name": f".{tld} domain",
        "tags": [DOMAIN_TAG],
        "priority": "high" if tld == "com" else "normal",
        "source": f"RDAP (RFC 9082/9083) at {base}, from IANA's RDAP bootstrap",
        "urls": {"profile": url},
        "handle": {"pattern": LABEL_PATTERN, "case": "insensitive"},
        "checks": [
            {
                "name": "rdap",
                "request": request,
                "outcomes": [
                    {"verdict": "available", "matchers": [{"type": "status", "status": [404]}]},
                    {
                        "verdict": "reserved",
                        "matchers-condition": "and",
                        "matchers": [
                            {"type": "status", "status": [200]},
                            domain_object,
                            {"type": "regex", "regex": [_HELD], "case-insensitive": True},
                        ],
                    },
                    {
                        "verdict": "taken",
                        "matchers-condition": "and",
                        "matchers": [{"type": "status", "status": [200]}, domain_object],
                    },
                ],
            }
        ],
        "profile": {
            "request": request,
            "fields": {
                "display_name": {"type": "regex", "regex": _REGISTRAR, "group": 1},
                "created": {"type": "regex", "regex": _REGISTERED, "group": 1},
            },
        },
    }


def domain_platforms(bootstrap: Bootstrap, tlds: Iterable[str]) -> tuple[Platform, ...]:
    """One platform per TLD (in the order given, each once). A TLD the bootstrap has no server
    for is an InputError naming it (see `missing_tlds` to leave such TLDs out instead)."""
    wanted = tuple(dict.fromkeys(normal_tld(t) for t in tlds if t.strip()))
    missing = missing_tlds(bootstrap, wanted)
    if missing:
        raise InputError(missing_message(bootstrap, missing))
    entries = [domain_entry(tld, base) for tld in wanted if (base := bootstrap.base(tld)) is not None]
    return build_entries(bootstrap.source, entries)


def servable_domain_platforms(
    bootstrap: Bootstrap, tlds: Iterable[str]
) -> tuple[tuple[Platform, ...], tuple[str, ...]]:
    """The domain platforms of the TLDs the bootstrap has a server for, and the TLDs it has none for."""
    wanted = tuple(tlds)
    missing = missing_tlds(bootstrap, wanted)
    return domain_platforms(bootstrap, [t for t in wanted if normal_tld(t) not in missing]), missing


def is_domain(platform: Platform) -> bool:
    return DOMAIN_TAG in platform.tags and platform.id.startswith("domain-")
