"""The brand's config file (handlecheck.yaml): who the brand is, what it owns, who looks after what.

Found from `--config`, else `$HANDLECHECK_CONFIG`, else the nearest handlecheck.yaml in the
current folder or above it. Command-line flags win over the file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from .domain import Depth, Owned
from .errors import ConfigError, InputError
from .models import Platform
from .yamlio import YamlPath, line_of, load_yaml

CONFIG_NAME = "handlecheck.yaml"
ENV_VAR = "HANDLECHECK_CONFIG"


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
class Selection:
    """Which platforms to ask (see `handlecheck.registry.select.choose_platforms`)."""

    file: str | None = None
    add: tuple[str, ...] = ()
    only: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    nsfw: bool = False
    skip_file: str | None = None

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
class Config:
    brand: str
    aliases: tuple[str, ...] = ()
    owned: tuple[Owned, ...] = ()
    email_domain: str | None = None
    email_local: str = "social"
    domains: tuple[str, ...] = ()
    owners: Owners = field(default_factory=Owners)
    selection: Selection = field(default_factory=Selection)
    depth: Depth = Depth.STANDARD
    report_risk: int = 50
    max_unknown: float = 0.25
    source: str | None = None

    def email_alias(self, platform: Platform) -> str | None:
        """A distinct address per account, e.g. social+tiktok@brand.example."""
        if not self.email_domain:
            return None
        return f"{self.email_local}+{platform.id.replace('.', '-')}@{self.email_domain}"


@cache
def _validator() -> jsonschema.protocols.Validator:
    schema = json.loads((resources.files("handlecheck") / "data" / "config.schema.json").read_text("utf-8"))
    return jsonschema.validators.validator_for(schema)(schema)


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
        text = Path(path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config: {getattr(exc, 'strerror', None) or exc}", source=source) from None
    node, data = load_yaml(text, source)
    check_config(data, node, source)
    return parse_config(data, source=source)


def check_config(data: Any, node: yaml.Node | None, source: str, at: YamlPath = ()) -> None:
    """Raise the first schema error of config data (found at `at` in the file's YAML)."""
    error = jsonschema.exceptions.best_match(_validator().iter_errors(data))
    if error is not None:
        path = (*at, *error.absolute_path)
        where = ".".join(p if isinstance(p, str) and p.isprintable() else repr(p) for p in path)
        raise ConfigError(error.message[:200], source=source, line=line_of(node, path), path=where)


def parse_config(data: Mapping[str, Any], *, source: str | None = None) -> Config:
    """A Config from data `check_config` passed."""
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
        owners=Owners(owners.get("default"), dict(owners.get("tags") or {}), dict(owners.get("platforms") or {})),
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

# Who looks after which account (by platform id, else by tag, else the default).
owners:
  default: Social media team
#  tags: {{developer: Engineering}}
#  platforms: {{linkedin: Marketing}}

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
) -> Config:
    """The config file's settings (`base`) with the command line's on top: the one place
    where the two merge. Lists add up; a value given wins."""
    if base is None:
        if not brand:
            raise InputError("no brand: give one (handlecheck scan acme) or write a config (handlecheck init)")
        base = Config(brand=brand)
    return replace(
        base,
        brand=brand or base.brand,
        aliases=tuple(dict.fromkeys((*base.aliases, *aliases))),
        owned=base.owned + tuple(owned),
        email_domain=email_domain or base.email_domain,
        domains=tuple(dict.fromkeys((*base.domains, *domains))),
        depth=depth or base.depth,
    )
