"""The brand's config file (handlecheck.yaml): who the brand is, what it owns, who looks after what.

Found from `--config`, else `$HANDLECHECK_CONFIG`, else the nearest handlecheck.yaml in the
current folder or above it. Command-line flags win over the file. A file written for another
brand than the command line's gives only its brand-independent settings (`BRAND_SPECIFIC`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from .candidates import Brand
from .domain import Depth, Owned
from .errors import ConfigError, InputError
from .models import Platform
from .reading import TooLarge, read_capped
from .schemafaults import SchemaFaults
from .text import printable
from .yamlio import YamlPath, line_of, load_yaml

MAX_CONFIG_BYTES = 2**20  # one brand's settings: a few kilobytes
CONFIG_NAME = "handlecheck.yaml"
ENV_VAR = "HANDLECHECK_CONFIG"

# brand.com, .net, .org, .io, .co, .app: the domain names a brand is expected to hold.
DEFAULT_TLDS: tuple[str, ...] = ("com", "net", "org", "io", "co", "app")
BRAND_SPECIFIC = frozenset(
    {"aliases", "owned", "email_domain", "email_local", "domains", "owners", "accounts", "contacts"}
)
"""The Config fields that describe one brand: a config for another brand leaves them out. The
rest (platform selection, depth, thresholds) is how a team scans, whichever brand it is."""


@dataclass(frozen=True, slots=True)
class Owners:
    """Who looks after an account: by platform id, else by tag, else the default."""

    default: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    platforms: Mapping[str, str] = field(default_factory=dict)

    def owner_for(self, platform: Platform) -> str | None:
        if platform.id in self.platforms:
            return self.platforms[platform.id]
        return next((self.tags[t] for t in platform.tags if t in self.tags), self.default)


@dataclass(frozen=True, slots=True)
class Account:
    """What the config records about one of the brand's accounts (held or to be registered): who
    looks after it, its sign-in address, and whether it is secured. None: not recorded."""

    platform: str
    owner: str | None = None
    backup: str | None = None
    email: str | None = None
    two_factor: bool | None = None
    password_manager: bool | None = None


@dataclass(frozen=True, slots=True)
class Contact:
    """Someone to call when an account is stolen or impersonated."""

    name: str
    role: str | None = None
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class Selection:
    """Which platforms to ask (see `handlecheck.registry.select.choose_platforms`)."""

    file: str | None = None
    add: tuple[str, ...] = ()
    only: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    nsfw: bool = False
    skip_file: str | None = None

    @property
    def whole_catalogue(self) -> bool:
        """Whether it asks the bundled catalogue as a whole (no platform file, --only or --tags):
        then a scan checks the brand's domains too, unless told which TLDs."""
        return not (self.file or self.only or self.tags)

    def overridden_by(self, other: Selection) -> Selection:
        """This selection with every setting that `other` gives (the command line's) on top."""
        return Selection(
            file=other.file or self.file,
            add=other.add or self.add,
            only=other.only or self.only,
            tags=other.tags or self.tags,
            exclude=other.exclude or self.exclude,
            nsfw=other.nsfw or self.nsfw,
            skip_file=other.skip_file or self.skip_file,
        )


@dataclass(frozen=True, slots=True)
class NamedId:
    """A platform id a config names, and where: checked once the run's catalogue is loaded
    (see `registry.select.choose_platforms`)."""

    id: str
    setting: str
    """The Config field that holds it."""
    source: str
    line: int | None = None
    path: str | None = None


@dataclass(frozen=True, slots=True)
class Config:
    brand: str
    aliases: tuple[str, ...] = ()
    owned: tuple[Owned, ...] = ()
    email_domain: str | None = None
    email_local: str = "social"
    domains: tuple[str, ...] = ()
    tlds: tuple[str, ...] = DEFAULT_TLDS
    """The top-level domains the brand's own domain names are checked in (over RDAP)."""
    fediverse: tuple[str, ...] = ()
    """Fediverse servers to ask besides the catalogue's (registry/fediverse.py)."""
    owners: Owners = field(default_factory=Owners)
    accounts: tuple[Account, ...] = ()
    contacts: tuple[Contact, ...] = ()
    """Emergency contacts, for the runbook."""
    selection: Selection = field(default_factory=Selection)
    depth: Depth = Depth.STANDARD
    report_risk: int = 50
    max_unknown: float = 0.25
    source: str | None = None
    named: tuple[NamedId, ...] = field(default=(), compare=False, repr=False)

    def is_for(self, brand: str) -> bool:
        """Whether `brand` is this config's brand, compared as scans compare brands: by their
        handle form (so whatever the case, accents or spaces: "Acme" is "ACMÉ")."""
        return Brand.parse(self.brand).handle == Brand.parse(brand).handle

    def for_brand(self, brand: str) -> Config:
        """This config for `brand`: whole when it is this config's brand, else without its
        `BRAND_SPECIFIC` settings (another brand's accounts, aliases and e-mail are not its)."""
        if self.is_for(brand):
            return replace(self, brand=brand)
        kept = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in BRAND_SPECIFIC}
        named = tuple(n for n in self.named if n.setting not in BRAND_SPECIFIC)
        return Config(**{**kept, "brand": brand, "named": named})

    def account(self, platform_id: str) -> Account:
        """The record of the brand's account on a platform (an empty one where none is kept)."""
        return next((a for a in self.accounts if a.platform == platform_id), Account(platform_id))

    def owner_for(self, platform: Platform) -> str | None:
        """The account's own owner, else the `owners` rules'."""
        return self.account(platform.id).owner or self.owners.owner_for(platform)

    def email_for(self, platform: Platform) -> str | None:
        """The account's recorded sign-in address, else its alias (see `email_alias`)."""
        return self.account(platform.id).email or self.email_alias(platform)

    def email_alias(self, platform: Platform) -> str | None:
        """A distinct address per account, e.g. social+tiktok@brand.example."""
        if not self.email_domain:
            return None
        return f"{self.email_local}+{platform.id.replace('.', '-')}@{self.email_domain}"


@cache
def _validator() -> SchemaFaults:
    return SchemaFaults(json.loads((resources.files("handlecheck") / "data" / "config.schema.json").read_text("utf-8")))


def find_config(explicit: str | None = None, *, start: Path | None = None) -> Path | None:
    """--config, else $HANDLECHECK_CONFIG, else the nearest handlecheck.yaml upward."""
    chosen = explicit or os.environ.get(ENV_VAR)
    if chosen:
        return Path(chosen)
    folder = (start or Path.cwd()).resolve()
    for candidate in (folder, *folder.parents):
        if (candidate / CONFIG_NAME).is_file():
            return candidate / CONFIG_NAME
    return None


def load_config(path: str | Path) -> Config:
    source = str(path)
    try:
        text = read_capped(path, MAX_CONFIG_BYTES).decode("utf-8")
    except TooLarge as exc:
        raise ConfigError(exc.describe("a config file", "is this the right file?"), source=source) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config: {getattr(exc, 'strerror', None) or exc}", source=source) from None
    node, data = load_yaml(text, source)
    check_config(data, node, source)
    return parse_config(data, source=source, node=node)


def check_config(data: Any, node: yaml.Node | None, source: str, at: YamlPath = ()) -> None:
    """Raise the first schema error of config data (found at `at` in the file's YAML): of its
    errors, the first of those nearest the top of the document."""
    faults = _validator()(data)
    if faults:
        fault = min(faults, key=lambda each: len(each.path))
        path = (*at, *fault.path)
        raise ConfigError(fault.message[:200], source=source, line=line_of(node, path), path=_dotted(path))


def _dotted(path: YamlPath) -> str:
    return ".".join(p if isinstance(p, str) and p.isprintable() else repr(p) for p in path)


def parse_config(
    data: Mapping[str, Any], *, source: str | None = None, node: yaml.Node | None = None, at: YamlPath = ()
) -> Config:
    """A Config from data `check_config` passed (found at `at` in the YAML `node`, for the lines
    of the platform ids it names)."""
    owned: list[Owned] = []
    for platform, handles in (data.get("owned") or {}).items():
        for handle in [handles] if isinstance(handles, str) else handles:
            owned.append(Owned(platform, handle.lstrip("@")))
    owners = data.get("owners") or {}
    selection = data.get("platforms") or {}
    thresholds = data.get("thresholds") or {}
    return Config(
        brand=data["brand"],
        aliases=tuple(data.get("aliases") or ()),
        owned=tuple(owned),
        email_domain=data.get("email_domain"),
        email_local=data.get("email_local", "social"),
        domains=tuple(data.get("domains") or ()),
        tlds=tuple(dict.fromkeys(t.lower().lstrip(".") for t in data["tlds"])) if "tlds" in data else DEFAULT_TLDS,
        fediverse=tuple(dict.fromkeys(data.get("fediverse") or ())),
        owners=Owners(owners.get("default"), dict(owners.get("tags") or {}), dict(owners.get("platforms") or {})),
        accounts=tuple(Account(pid, **record) for pid, record in (data.get("accounts") or {}).items()),
        contacts=tuple(Contact(**each) for each in data.get("contacts") or ()),
        selection=Selection(
            file=selection.get("file"),
            add=tuple(selection.get("add") or ()),
            only=tuple(selection.get("only") or ()),
            tags=tuple(selection.get("tags") or ()),
            exclude=tuple(selection.get("exclude") or ()),
        ),
        depth=Depth(data.get("depth", "standard")),
        report_risk=thresholds.get("report_risk", 50),
        max_unknown=thresholds.get("max_unknown", 0.25),
        source=source,
        named=_named_ids(data, source or "<config>", node, at),
    )


def _named_ids(data: Mapping[str, Any], source: str, node: yaml.Node | None, at: YamlPath) -> tuple[NamedId, ...]:
    selection = data.get("platforms") or {}
    owners = (data.get("owners") or {}).get("platforms") or {}
    places: list[tuple[str, str, YamlPath]] = [("owned", key, ("owned", key)) for key in data.get("owned") or {}]
    places += [("owners", key, ("owners", "platforms", key)) for key in owners]
    places += [("accounts", key, ("accounts", key)) for key in data.get("accounts") or {}]
    for kind in ("only", "exclude"):
        places += [("selection", pid, ("platforms", kind, i)) for i, pid in enumerate(selection.get(kind) or ())]
    return tuple(
        NamedId(pid, setting, source, line_of(node, (*at, *path)), _dotted((*at, *path)))
        for setting, pid, path in places
    )


def starter(brand: str = "Acme") -> str:
    """A commented starter config for `handlecheck init`."""
    handle = "".join(c for c in brand.casefold() if c.isalnum()) or "acme"
    return f"""# handlecheck.yaml: what `handlecheck scan` needs to know about your brand.
# Command-line flags win over this file. Full reference: the README.

brand: {brand}

# Other names you want to hold everywhere (checked like the brand itself).
aliases: []
#  - {handle}hq

# Accounts you already hold: never reported as lookalikes, and checked still to be yours.
owned: {{}}
#  github: {handle}
#  instagram: [{handle}, {handle}.official]

# Each new account gets its own address, e.g. social+tiktok@{handle}.example
# email_domain: {handle}.example
# email_local: social

# Your own web domains: links to them are not "lookalike domains".
domains: []

# Fediverse servers to ask besides mastodon.social and mastodon.online (host or base URL).
fediverse: []
#  - mastodon.world
#  - mstdn.social

# Where your brand's own domain name is checked (brand.com, brand.net, ...); add country domains.
tlds: [com, net, org, io, co, app]
#  - de
#  - co.uk

# Who looks after which account (by platform id, else by tag, else the default).
owners:
  default: Social media team
#  tags: {{developer: Engineering}}
#  platforms: {{linkedin: Marketing}}

# What you record about each account, for `handlecheck runbook` and the to-do's "secure" action:
# its owner and backup owner (they win over `owners`), the address it signs in with (else the
# alias above), and whether two-factor authentication is on and its password is in the team's
# password manager. Leave out what you do not know: the runbook says "not recorded".
accounts: {{}}
#  instagram:
#    owner: Jane Doe
#    backup: Sam Lee
#    email: social+instagram@{handle}.example
#    two_factor: true
#    password_manager: true

# Who to call when an account is stolen or impersonated: a name, a role, an e-mail and/or a phone.
contacts: []
#  - {{name: Jane Doe, role: Head of social media, email: jane@{handle}.example, phone: "+1 555 0100"}}
#  - {{name: Security desk, role: Incident response, phone: "+1 555 0199"}}

# Which platforms to scan (default: the bundled catalogue).
# platforms:
#   file: my-platforms.yaml
#   add: [extra-platforms.yaml]
#   tags: [social, video]
#   exclude: [myspace]

# quick | standard | deep
depth: standard

thresholds:
  report_risk: 50     # lookalikes at or above this risk get a "report" action; below, "watch"
  max_unknown: 0.25   # share of unknown answers on critical/high platforms that makes a scan incomplete
"""


def overlay(
    base: Config | None,
    *,
    brand: str | None = None,
    aliases: Iterable[str] = (),
    owned: Iterable[Owned] = (),
    email_domain: str | None = None,
    domains: Iterable[str] = (),
    depth: Depth | None = None,
    fediverse: Iterable[str] = (),
) -> Config:
    """The config file's settings (`base`) with the command line's on top: the one place
    where the two merge. Lists add up; a value given wins. A `base` for another brand than
    `brand` gives only its brand-independent settings (see `brand_note`)."""
    if base is None:
        if not brand:
            raise InputError("no brand: give one (handlecheck scan acme) or write a config (handlecheck init)")
        base = Config(brand=brand)
    base = base.for_brand(brand) if brand else base
    owned = tuple(owned)
    return replace(
        base,
        aliases=tuple(dict.fromkeys((*base.aliases, *aliases))),
        owned=base.owned + owned,
        email_domain=email_domain or base.email_domain,
        domains=tuple(dict.fromkeys((*base.domains, *domains))),
        fediverse=tuple(dict.fromkeys((*base.fediverse, *fediverse))),
        depth=depth or base.depth,
        named=base.named + tuple(NamedId(o.platform, "owned", "--owned") for o in owned),
    )


def brand_note(base: Config | None, brand: str | None) -> str | None:
    """What `overlay` leaves out of a config file written for another brand than `brand`, in a
    line for the user; None when it all applies."""
    if base is None or not brand or base.is_for(brand):
        return None
    blank = Config(brand=base.brand)
    left = [
        f.name for f in fields(base) if f.name in BRAND_SPECIFIC and getattr(base, f.name) != getattr(blank, f.name)
    ]
    name = base.source or CONFIG_NAME
    mine = f"{name} is for {printable(base.brand, 60)!r}, not {printable(brand, 60)!r}: "
    unused = f"its {', '.join(left)} {'is' if len(left) == 1 else 'are'} left out, " if left else ""
    return mine + unused + "only its platform selection, depth and thresholds apply"
