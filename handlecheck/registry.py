"""Load platform files: YAML with line numbers, schema and semantic checks, frozen Platforms.

Every fault becomes a `ConfigError` naming the file, the line, the platform id and the YAML
path of the field, so a user can go straight to it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import regex
import yaml

from .errors import ConfigError, InputError
from .models import (
    Case,
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
    RateLimit,
    Reason,
    RequestSpec,
    Urls,
    Verdict,
)
from .patterns import compile_pattern
from .rules import MissingVariable, UnsafeValue, render_url, template_variables

MAX_FILE_BYTES = 20 * 1024 * 1024
BUNDLED = "bundled platforms.yaml"
_HEADER_BREAK = re.compile(r"[\r\n\x00]")
# libyaml's loader when PyYAML was built with it: several times faster on large files.
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

YamlPath = tuple[str | int, ...]


def bundled_path() -> Path:
    return Path(str(resources.files("handlecheck") / "data" / "platforms.yaml"))


@cache
def schema() -> dict[str, Any]:
    text = (resources.files("handlecheck") / "data" / "platforms.schema.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@cache
def _validator() -> jsonschema.protocols.Validator:
    validator_class = jsonschema.validators.validator_for(schema())
    return validator_class(schema())


def load_platforms(path: str | Path | None = None) -> tuple[Platform, ...]:
    """Load a platform file in handlecheck's format (the bundled one when `path` is None)."""
    file = Path(path) if path is not None else bundled_path()
    source = str(path) if path is not None else BUNDLED
    try:
        if file.stat().st_size > MAX_FILE_BYTES:
            raise ConfigError(f"file is larger than {MAX_FILE_BYTES // 2**20} MiB", source=source)
        text = file.read_text("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", source=source) from None
    except OSError as exc:
        raise ConfigError(f"cannot read file: {exc.strerror or exc}", source=source) from None
    return parse_platforms(text, source=source)


def parse_platforms(text: str, *, source: str = "<string>") -> tuple[Platform, ...]:
    """Parse the text of a platform file in handlecheck's format."""
    node, data = _load_yaml(text, source)
    builder = _Builder(source, node)
    builder.validate_schema(data)
    return builder.platforms(data)


def _load_yaml(text: str, source: str) -> tuple[yaml.Node | None, Any]:
    try:
        node = yaml.compose(text, Loader=_Loader)
        if node is None:
            raise ConfigError("file is empty", source=source)
        loader = _Loader("")
        try:
            data = loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"not valid YAML: {problem}", source=source, line=mark.line + 1 if mark else None) from None
    except RecursionError:
        raise ConfigError("not valid YAML: nested too deeply", source=source) from None
    return node, data


def _line_of(node: yaml.Node | None, path: YamlPath) -> int | None:
    """The 1-based line of the YAML node at `path`, or of its nearest ancestor."""
    line = node.start_mark.line + 1 if node is not None else None
    for key in path:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == key), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            node = None
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


class _Builder:
    """Turns validated YAML data into Platforms, reporting faults with their location."""

    def __init__(self, source: str, node: yaml.Node | None) -> None:
        self.source = source
        self.node = node
        self.data: Any = None

    def fail(self, message: str, path: YamlPath) -> ConfigError:
        return ConfigError(message, source=self.source, line=_line_of(self.node, path), path=self._describe(path))

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
                text += f".{key}" if text else str(key)
        return text

    def _platform_id(self, index: int) -> str | None:
        try:
            value = self.data["platforms"][index]["id"]
        except (KeyError, IndexError, TypeError):
            return None
        return value if isinstance(value, str) else None

    def validate_schema(self, data: Any) -> None:
        self.data = data
        error = jsonschema.exceptions.best_match(_validator().iter_errors(data))
        if error is not None:
            message = error.message
            if len(message) > 200:
                message = message[:197] + "..."
            raise self.fail(message, tuple(error.absolute_path))

    def platforms(self, data: Any) -> tuple[Platform, ...]:
        self.data = data
        seen: dict[str, int] = {}
        platforms = []
        for index, raw in enumerate(data["platforms"]):
            path: YamlPath = ("platforms", index)
            if raw["id"] in seen:
                raise self.fail(f"duplicate id {raw['id']!r} (first at platforms[{seen[raw['id']]}])", (*path, "id"))
            seen[raw["id"]] = index
            platforms.append(self.platform(raw, path))
        return tuple(platforms)

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
        return Platform(
            id=raw["id"],
            name=raw["name"],
            tags=tuple(raw.get("tags", ())),
            priority=Priority(raw.get("priority", "normal")),
            urls=Urls(profile=profile, signup=urls.get("signup"), report=urls.get("report")),
            handle=HandleRule(pattern=pattern, case=Case(handle.get("case", "insensitive"))),
            known=Known(
                taken=tuple(raw.get("known", {}).get("taken", ())),
                available=tuple(raw.get("known", {}).get("available", ())),
            ),
            rate_limit=RateLimit(rate["concurrency"], float(rate.get("interval", 0))) if rate else None,
            checks=tuple(self.check(c, (*path, "checks", i)) for i, c in enumerate(raw["checks"])),
            verified=bool(raw.get("verified", False)),
            source=raw.get("source"),
        )

    def url(self, template: str, allowed: set[str], path: YamlPath) -> None:
        unknown = template_variables(template) - allowed
        if unknown:
            raise self.fail(f"unknown variable {{{{{sorted(unknown)[0]}}}}}", path)
        try:
            render_url(template, dict.fromkeys(template_variables(template), "x"))
        except (UnsafeValue, MissingVariable, ValueError) as exc:
            raise self.fail(f"bad URL template: {exc}", path) from None

    def request(self, raw: dict[str, Any], allowed: set[str], path: YamlPath) -> RequestSpec:
        self.url(raw["url"], allowed, (*path, "url"))
        headers = tuple(raw.get("headers", {}).items())
        for name, value in headers:
            if _HEADER_BREAK.search(name) or _HEADER_BREAK.search(value):
                raise self.fail("header carries a line break", (*path, "headers", name))
        texts = [value for _, value in headers] + list(raw.get("form", {}).values())
        texts += [raw["body"]] if "body" in raw else []
        texts += [json.dumps(raw["json"])] if "json" in raw else []
        for text in texts:
            unknown = template_variables(text) - allowed
            if unknown:
                raise self.fail(f"unknown variable {{{{{sorted(unknown)[0]}}}}}", path)
        return RequestSpec(
            url=raw["url"],
            method=raw.get("method", "GET"),
            headers=headers,
            body=raw.get("body"),
            json_body=raw.get("json"),
            form=tuple(raw.get("form", {}).items()),
            redirects=raw.get("redirects", True),
        )

    def check(self, raw: dict[str, Any], path: YamlPath) -> Check:
        prefetch = None
        variables = {"handle"}
        if "prefetch" in raw:
            pre = raw["prefetch"]
            # A prefetch is shared by every handle in a session, so it cannot depend on one.
            request = self.request(pre["request"], set(), (*path, "prefetch", "request"))
            extractors = tuple(
                self.extractor(e, (*path, "prefetch", "extract", i)) for i, e in enumerate(pre["extract"])
            )
            prefetch = Prefetch(request=request, extract=extractors)
            variables |= {e.name for e in extractors}
        return Check(
            name=raw.get("name"),
            prefetch=prefetch,
            request=self.request(raw["request"], variables, (*path, "request")),
            outcomes=tuple(self.outcome(o, variables, (*path, "outcomes", i)) for i, o in enumerate(raw["outcomes"])),
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
            statuses=tuple(raw.get("status", ())),
            path=raw.get("path"),
            json_op=json_op,
            json_values=json_values,
            header=raw.get("name"),
            condition=Condition(raw.get("condition", "or")),
            negative=bool(raw.get("negative", False)),
            case_insensitive=bool(raw.get("case-insensitive", False)),
        )


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
