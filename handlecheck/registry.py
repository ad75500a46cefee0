"""Load platform files: YAML with line numbers, schema and semantic checks, frozen Platforms.

Every fault becomes a `ConfigError` naming the file, the line, the platform id and the YAML
path of the field, so a user can go straight to it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import fastjsonschema
import jsonschema
import regex
import yaml

from .errors import ConfigError, InputError
from .importers import convert, detect_format
from .importers.common import Unusable
from .models import (
    Case,
    Catalogue,
    Check,
    Condition,
    Extractor,
    ExtractorType,
    HandleRule,
    JsonOp,
    Known,
    Matcher,
    MatcherType,
    Outcome,
    Part,
    Platform,
    Prefetch,
    Priority,
    ProfileSpec,
    RateLimit,
    Reason,
    RequestSpec,
    Skipped,
    SourceFormat,
    Urls,
    Verdict,
)
from .patterns import compile_pattern
from .report.text import printable
from .rules import MissingVariable, UnsafeValue, has_line_break, render_url, request_variables, template_variables
from .yamlio import YamlPath, line_of, load_yaml

MAX_FILE_BYTES = 20 * 1024 * 1024
BUNDLED = "bundled platforms.yaml"


def bundled_path() -> Path:
    return Path(str(resources.files("handlecheck") / "data" / "platforms.yaml"))


@cache
def schema() -> dict[str, Any]:
    text = (resources.files("handlecheck") / "data" / "platforms.schema.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@cache
def _top_validator() -> jsonschema.protocols.Validator:
    """The file's outer shape only; each platform is validated on its own."""
    outer = {**schema(), "properties": {**schema()["properties"], "platforms": {"type": "array"}}}
    return jsonschema.validators.validator_for(outer)(outer)


def _platform_schema() -> dict[str, Any]:
    return {"$schema": schema()["$schema"], "$defs": schema()["$defs"], "$ref": "#/$defs/platform"}


@cache
def _platform_validator() -> jsonschema.protocols.Validator:
    return jsonschema.validators.validator_for(_platform_schema())(_platform_schema())


@cache
def _platform_is_valid() -> Callable[[Any], Any]:
    """A compiled validator, several times faster: large imported files pass through it, and
    jsonschema is only asked to explain an entry that fails."""
    return fastjsonschema.compile(_platform_schema())


def load_platforms(path: str | Path | None = None, *, nsfw: bool = False) -> tuple[Platform, ...]:
    """Load a platform file (the bundled one when `path` is None).

    The file may be in handlecheck's own format, or a Sherlock, WhatsMyName or Maigret
    database; entries of those that cannot be used are left out (see `load_catalogue`).
    """
    return load_catalogue(path, nsfw=nsfw).platforms


def load_catalogue(path: str | Path | None = None, *, nsfw: bool = False) -> Catalogue:
    """Load a platform file of any supported format, with the entries it had to skip."""
    text, source = read_file(path)
    document = json_document(text)
    if document is None or is_native(document):
        return Catalogue(parse_platforms(text, source=source))
    converted = import_document(document, source=source, nsfw=nsfw)
    return converted.catalogue


@dataclass(frozen=True, slots=True)
class Conversion:
    """A foreign database converted: the native entries that built, and the catalogue."""

    entries: tuple[dict[str, Any], ...]
    catalogue: Catalogue


def import_document(document: Any, *, source: str, nsfw: bool = False) -> Conversion:
    """Convert a Sherlock, WhatsMyName or Maigret document; raises ConfigError for any other."""
    file_format = detect_format(document, source)
    if file_format is SourceFormat.HANDLECHECK:
        raise ConfigError("already in handlecheck's format", source=source)
    try:
        imported = convert(file_format, document, nsfw=nsfw)
    except Unusable as exc:
        raise ConfigError(f"not a usable {file_format} file: {exc}", source=source) from None
    builder = _Builder(source, None, {"platforms": list(imported.entries)})
    platforms, errors = builder.build_all(imported.entries)
    failed = {index for index, _ in errors}
    rejected = tuple(
        Skipped(str(imported.entries[index].get("name", "?")), f"{error.path}: {error.reason}")
        for index, error in errors
    )
    kept = tuple(e for i, e in enumerate(imported.entries) if i not in failed)
    return Conversion(kept, Catalogue(platforms, file_format, imported.skipped + rejected))


def import_file(path: str | Path, *, nsfw: bool = False) -> Conversion:
    text, source = read_file(path)
    document = json_document(text)
    if document is None:
        _, document = load_yaml(text, source)
    return import_document(document, source=source, nsfw=nsfw)


def validate_file(path: str | Path) -> tuple[tuple[Platform, ...], list[ConfigError]]:
    """Every platform of a native file that builds, and every error in it."""
    text, source = read_file(path)
    return validate_platforms(text, source=source)


def read_file(path: str | Path | None) -> tuple[str, str]:
    file = Path(path) if path is not None else bundled_path()
    source = str(path) if path is not None else BUNDLED
    try:
        if file.stat().st_size > MAX_FILE_BYTES:
            raise ConfigError(f"file is larger than {MAX_FILE_BYTES // 2**20} MiB", source=source)
        return file.read_text("utf-8"), source
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", source=source) from None
    except OSError as exc:
        raise ConfigError(f"cannot read file: {exc.strerror or exc}", source=source) from None


def json_document(text: str) -> Any:
    """The parsed document when the text is JSON (the community databases are); else None."""
    if not text.lstrip().startswith("{"):
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def is_native(document: Any) -> bool:
    return isinstance(document, dict) and "version" in document and "platforms" in document


def parse_platforms(text: str, *, source: str = "<string>") -> tuple[Platform, ...]:
    """Parse the text of a platform file in handlecheck's format; raise its first error."""
    platforms, errors = validate_platforms(text, source=source)
    if errors:
        first = errors[0]
        if len(errors) > 1:
            more = f" (and {len(errors) - 1} more: handlecheck platforms validate {source})"
            raise ConfigError(first.reason + more, source=first.source, line=first.line, path=first.path)
        raise first
    return platforms


def validate_platforms(text: str, *, source: str = "<string>") -> tuple[tuple[Platform, ...], list[ConfigError]]:
    """Every platform that builds, and every error of the file (in file order)."""
    node, data = load_yaml(text, source)
    builder = _Builder(source, node, data)
    builder.check_schema(_top_validator(), data, ())
    platforms, errors = builder.build_all(data["platforms"])
    return platforms, [error for _, error in errors]


class _Builder:
    """Turns validated YAML data into Platforms, reporting faults with their location."""

    def __init__(self, source: str, node: yaml.Node | None, data: Any) -> None:
        self.source = source
        self.node = node
        self.data = data

    def fail(self, message: str, path: YamlPath) -> ConfigError:
        # A message may quote the file (a URL template, say): one line, whatever the file holds.
        line = line_of(self.node, path)
        return ConfigError(printable(message), source=self.source, line=line, path=self._describe(path))

    def _describe(self, path: YamlPath) -> str:
        text = ""
        for index, key in enumerate(path):
            if isinstance(key, int):
                text += f"[{key}]"
                if index == 1 and path[0] == "platforms":
                    platform_id = self._platform_id(key)
                    if platform_id:
                        text += f" (id: {platform_id})"
            else:
                name = key if key.isprintable() else repr(key)
                text += f".{name}" if text else name
        return text

    def _platform_id(self, index: int) -> str | None:
        try:
            value = self.data["platforms"][index]["id"]
        except (KeyError, IndexError, TypeError):
            return None
        if not isinstance(value, str):
            return None
        return value if value.isprintable() else repr(value)

    def check_schema(self, validator: jsonschema.protocols.Validator, data: Any, path: YamlPath) -> None:
        error = jsonschema.exceptions.best_match(validator.iter_errors(data))
        if error is not None:
            message = error.message
            if len(message) > 200:
                message = message[:197] + "..."
            raise self.fail(message, (*path, *error.absolute_path))

    def build_all(self, raws: Sequence[Any]) -> tuple[tuple[Platform, ...], list[tuple[int, ConfigError]]]:
        """Build every platform that can be; the others' errors come with their index."""
        seen: dict[str, int] = {}
        platforms: list[Platform] = []
        errors: list[tuple[int, ConfigError]] = []
        for index, raw in enumerate(raws):
            path: YamlPath = ("platforms", index)
            platform_id = raw.get("id") if isinstance(raw, dict) else None
            try:
                if isinstance(platform_id, str):
                    if platform_id in seen:
                        raise self.fail(
                            f"duplicate id {platform_id!r} (first at platforms[{seen[platform_id]}])", (*path, "id")
                        )
                    seen[platform_id] = index
                try:
                    _platform_is_valid()(raw)
                except fastjsonschema.JsonSchemaException:
                    self.check_schema(_platform_validator(), raw, path)
                platforms.append(self.platform(raw, path))
            except ConfigError as error:
                errors.append((index, error))
        return tuple(platforms), errors

    def regex(self, source: str, path: YamlPath, *, templated: bool = False) -> str:
        probe = re.sub(r"\{\{\s*[A-Za-z_][A-Za-z0-9_]*\s*\}\}", "x", source) if templated else source
        try:
            compile_pattern(probe)
        except (regex.error, OverflowError, RecursionError, ValueError) as exc:
            raise self.fail(f"bad regular expression: {exc}", path) from None
        return source

    def platform(self, raw: dict[str, Any], path: YamlPath) -> Platform:
        urls = raw.get("urls", {})
        profile = urls.get("profile")
        if profile is not None and "handle" not in template_variables(profile):
            raise self.fail("profile URL has no {{handle}}", (*path, "urls", "profile"))
        for key in ("profile", "signup", "report"):
            if urls.get(key) is not None:
                self.url(urls[key], {"handle"}, (*path, "urls", key))
        handle = raw.get("handle", {})
        pattern = handle.get("pattern")
        if pattern is not None:
            self.regex(pattern, (*path, "handle", "pattern"))
        rate = raw.get("rate-limit")
        secrets = dict(raw.get("secrets", {}))
        if "handle" in secrets:
            raise self.fail("'handle' cannot name a secret", (*path, "secrets", "handle"))
        return Platform(
            id=raw["id"],
            name=printable(raw["name"]),
            tags=tuple(raw.get("tags", ())),
            priority=Priority(raw.get("priority", "normal")),
            urls=Urls(profile=profile, signup=urls.get("signup"), report=urls.get("report")),
            handle=HandleRule(
                pattern=pattern, case=Case(handle.get("case", "insensitive")), strip=handle.get("strip", "")
            ),
            known=Known(
                taken=tuple(raw.get("known", {}).get("taken", ())),
                available=tuple(raw.get("known", {}).get("available", ())),
            ),
            rate_limit=RateLimit(rate["concurrency"], float(rate.get("interval", 0))) if rate else None,
            checks=tuple(self.check(c, set(secrets), (*path, "checks", i)) for i, c in enumerate(raw["checks"])),
            verified=bool(raw.get("verified", False)),
            source=raw.get("source"),
            profile=self.profile_spec(raw["profile"], set(secrets), (*path, "profile")) if "profile" in raw else None,
            secrets=tuple(secrets.items()),
        )

    def profile_spec(self, raw: dict[str, Any], secrets: set[str], path: YamlPath) -> ProfileSpec:
        fields = []
        for name, field in raw["fields"].items():
            if "regex" in field:
                self.regex(field["regex"], (*path, "fields", name, "regex"))
            fields.append(
                Extractor(
                    type=ExtractorType(field["type"]),
                    name=name,
                    regex=field.get("regex"),
                    group=field.get("group", 1),
                    path=field.get("path"),
                    key=field.get("name") or field.get("header"),
                )
            )
        request = self.request(raw["request"], {"handle"}, (*path, "request"), secrets) if "request" in raw else None
        return ProfileSpec(fields=tuple(fields), request=request)

    def url(self, template: str, allowed: set[str], path: YamlPath, secrets: set[str] | None = None) -> None:
        used = template_variables(template)
        if secrets and used & secrets:
            name = sorted(used & secrets)[0]
            raise self.fail(f"secret {{{{{name}}}}} may not stand in a URL (URLs are shown in reports)", path)
        unknown = used - allowed
        if unknown:
            raise self.fail(f"unknown variable {{{{{sorted(unknown)[0]}}}}}", path)
        try:
            render_url(template, dict.fromkeys(template_variables(template), "x"))
        except (UnsafeValue, MissingVariable, ValueError) as exc:
            raise self.fail(f"bad URL template: {exc}", path) from None

    def request(
        self, raw: dict[str, Any], allowed: set[str], path: YamlPath, secrets: set[str] | None = None
    ) -> RequestSpec:
        """A request template; `secrets` may be used in its headers and body, never its URL."""
        self.url(raw["url"], allowed, (*path, "url"), secrets)
        headers = tuple(raw.get("headers", {}).items())
        for name, value in headers:
            if has_line_break(name) or has_line_break(value):
                raise self.fail("header carries a line break", (*path, "headers", name))
        spec = RequestSpec(
            url=raw["url"],
            method=raw.get("method", "GET"),
            headers=headers,
            body=raw.get("body"),
            json_body=raw.get("json"),
            form=tuple(raw.get("form", {}).items()),
            redirects=raw.get("redirects", True),
        )
        unknown = request_variables(spec) - allowed - (secrets or set())
        if unknown:
            raise self.fail(f"unknown variable {{{{{sorted(unknown)[0]}}}}}", path)
        return spec

    def check(self, raw: dict[str, Any], secrets: set[str], path: YamlPath) -> Check:
        prefetch = None
        variables = {"handle"}
        if "prefetch" in raw:
            pre = raw["prefetch"]
            # A prefetch is shared by every handle in a session, so it cannot depend on one.
            request = self.request(pre["request"], set(), (*path, "prefetch", "request"), secrets)
            extractors = tuple(
                self.extractor(e, (*path, "prefetch", "extract", i)) for i, e in enumerate(pre["extract"])
            )
            for index, extractor in enumerate(extractors):
                if extractor.name in secrets:
                    raise self.fail(
                        f"{extractor.name!r} names a secret already", (*path, "prefetch", "extract", index, "name")
                    )
            prefetch = Prefetch(request=request, extract=extractors)
            variables |= {e.name for e in extractors}
        outcomes = tuple(self.outcome(o, variables, (*path, "outcomes", i)) for i, o in enumerate(raw["outcomes"]))
        return Check(
            name=raw.get("name"),
            prefetch=prefetch,
            request=self.request(raw["request"], variables, (*path, "request"), secrets),
            outcomes=outcomes,
        )

    def extractor(self, raw: dict[str, Any], path: YamlPath) -> Extractor:
        if "regex" in raw:
            self.regex(raw["regex"], (*path, "regex"))
        return Extractor(
            type=ExtractorType(raw["type"]),
            name=raw["name"],
            part=Part(raw.get("part", "body")),
            regex=raw.get("regex"),
            group=raw.get("group", 1),
            path=raw.get("path"),
            key=raw.get("header") or raw.get("cookie"),
        )

    def outcome(self, raw: dict[str, Any], variables: set[str], path: YamlPath) -> Outcome:
        verdict = Verdict(raw["verdict"])
        reason = Reason(raw["reason"]) if "reason" in raw else None
        if reason is not None and verdict is not Verdict.UNKNOWN:
            raise self.fail("only an 'unknown' outcome takes a reason", (*path, "reason"))
        return Outcome(
            verdict=verdict,
            reason=reason,
            condition=Condition(raw.get("matchers-condition", "or")),
            matchers=tuple(self.matcher(m, variables, (*path, "matchers", i)) for i, m in enumerate(raw["matchers"])),
        )

    def matcher(self, raw: dict[str, Any], variables: set[str], path: YamlPath) -> Matcher:
        kind = MatcherType(raw["type"])
        words = tuple(raw.get("words", ()))
        regexes = tuple(self.regex(r, (*path, "regex"), templated=True) for r in raw.get("regex", ()))
        for text in words + regexes:
            unknown = template_variables(text) - variables
            if unknown:
                raise self.fail(f"unknown variable {{{{{sorted(unknown)[0]}}}}}", path)
        json_op: JsonOp | None = None
        json_values: tuple[Any, ...] = ()
        if kind is MatcherType.JSON:
            if "exists" in raw:
                json_op, json_values = JsonOp.EXISTS, (raw["exists"],)
            elif "equals" in raw:
                json_op, json_values = JsonOp.IN, (raw["equals"],)
            else:
                json_op, json_values = JsonOp.IN, tuple(raw["in"])
        return Matcher(
            type=kind,
            part=Part(raw.get("part", "body")),
            words=words,
            regexes=regexes,
            statuses=tuple(_status_range(item) for item in raw.get("status", ())),
            path=raw.get("path"),
            json_op=json_op,
            json_values=json_values,
            header=raw.get("name"),
            condition=Condition(raw.get("condition", "or")),
            negative=bool(raw.get("negative", False)),
            case_insensitive=bool(raw.get("case-insensitive", False)),
        )


def _status_range(item: int | str) -> tuple[int, int]:
    if isinstance(item, int):
        return (item, item)
    low, high = (int(part) for part in item.split("-"))
    return (low, high)


def select(
    platforms: Sequence[Platform],
    *,
    only: Iterable[str] = (),
    tags: Iterable[str] = (),
    exclude: Iterable[str] = (),
) -> tuple[Platform, ...]:
    """Pick platforms by id and tag. Unknown ids are an InputError; an empty pick is too."""
    known = {p.id for p in platforms}
    only_set, exclude_set, tag_set = set(only), set(exclude), set(tags)
    missing = sorted((only_set | exclude_set) - known)
    if missing:
        raise InputError(f"unknown platform id {missing[0]!r} (see: handlecheck platforms list)")
    chosen = tuple(
        p
        for p in platforms
        if (not only_set or p.id in only_set) and (not tag_set or tag_set & set(p.tags)) and p.id not in exclude_set
    )
    if not chosen:
        raise InputError("no platform matches the selection (--only / --tags / --exclude)")
    return chosen


def merge(base: Catalogue, *additions: Catalogue) -> Catalogue:
    """Add platforms to a catalogue. An id already present keeps its first definition (the
    curated one); the newcomer is listed as skipped."""
    platforms = list(base.platforms)
    skipped = list(base.skipped)
    ids = {p.id for p in platforms}
    for addition in additions:
        skipped.extend(addition.skipped)
        for platform in addition.platforms:
            if platform.id in ids:
                skipped.append(Skipped(platform.name, f"id {platform.id!r} is already in the catalogue"))
                continue
            ids.add(platform.id)
            platforms.append(platform)
    return Catalogue(tuple(platforms), base.format, tuple(skipped))
