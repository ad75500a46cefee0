"""Platform entries to Platform objects: the schema, then the semantic checks the schema cannot
make. Every error of every entry is reported (not the first of each), each naming its file,
line and YAML path; an entry with any error builds no Platform."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import regex

from ..errors import ConfigError
from ..models import (
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
    ProfileSpec,
    RateLimit,
    Reason,
    RequestSpec,
    Urls,
    Verdict,
)
from ..rules import MissingVariable, UnsafeValue, has_line_break, render_url, request_variables, template_variables
from ..rules.addresses import host_refusal, template_refusal
from ..rules.patterns import compile_pattern
from ..schemafaults import SchemaFaults
from ..text import printable
from ..yamlio import YamlLines, YamlPath
from .helplinks import HELP_SENTINELS, help_link, read_help
from .schema import platform_validator


class _Unplaced(ConfigError):
    """A fault whose line is looked up later, with all the others, in one more read of the file."""

    def __init__(self, message: str, *, source: str, path: str, at: YamlPath) -> None:
        super().__init__(message, source=source, path=path)
        self.at = at


Faults = list[tuple[int, ConfigError]]


class Builder:
    """Turns YAML data into Platforms, noting every fault with its location.

    The checks note a fault and go on, so that one pass finds them all; what a faulty entry
    builds is thrown away."""

    def __init__(self, source: str, lines: YamlLines | None, data: Any) -> None:
        self.source = source
        self.lines = lines
        self.data = data
        self.faults: list[ConfigError] = []

    def fault(self, message: str, path: YamlPath) -> ConfigError:
        # A message may quote the file (a URL template, say): one line, whatever the file holds.
        return _Unplaced(printable(message), source=self.source, path=self._describe(path), at=path)

    def note(self, message: str, path: YamlPath) -> None:
        self.faults.append(self.fault(message, path))

    def place(self, errors: Faults) -> Faults:
        """`errors` with the lines of what they name, all found in one read of the file, in
        file order (by entry, then line)."""
        wanted = [error.at for _, error in errors if isinstance(error, _Unplaced)]
        lines = self.lines.find(wanted) if self.lines is not None and wanted else {}
        placed = [
            (index, ConfigError(error.reason, source=error.source, line=lines.get(error.at), path=error.path))
            if isinstance(error, _Unplaced)
            else (index, error)
            for index, error in errors
        ]
        return sorted(placed, key=lambda pair: (pair[0], math.inf if pair[1].line is None else pair[1].line))

    def build_file(self, top: SchemaFaults) -> tuple[tuple[Platform, ...], list[ConfigError]]:
        """A whole file: its outer shape (by `top`), then each of its platforms."""
        outer: Faults = [(-1, error) for error in self.schema_faults(top, self.data, ())]
        raws = self.data.get("platforms") if isinstance(self.data, dict) else None
        platforms, errors = self._build(raws if isinstance(raws, list) else [])
        return platforms, [error for _, error in self.place(outer + errors)]

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

    def schema_faults(self, validator: SchemaFaults, data: Any, path: YamlPath) -> list[ConfigError]:
        """Every schema error of `data`, found at `path`."""
        return [self.fault(fault.message, (*path, *fault.path)) for fault in validator(data)]

    def build_all(self, raws: Sequence[Any]) -> tuple[tuple[Platform, ...], Faults]:
        """Build every platform that can be; the others' errors come with their index."""
        platforms, errors = self._build(raws)
        return platforms, self.place(errors)

    def _build(self, raws: Sequence[Any]) -> tuple[tuple[Platform, ...], Faults]:
        seen: dict[str, int] = {}
        platforms: list[Platform] = []
        errors: Faults = []
        for index, raw in enumerate(raws):
            path: YamlPath = ("platforms", index)
            platform_id = raw.get("id") if isinstance(raw, dict) else None
            self.faults = []
            if isinstance(platform_id, str):
                if platform_id in seen:
                    self.note(f"duplicate id {platform_id!r} (first at platforms[{seen[platform_id]}])", (*path, "id"))
                seen.setdefault(platform_id, index)
            shape = self.schema_faults(platform_validator(), raw, path)
            self.faults += shape
            if not shape:  # the semantic checks read what the schema guarantees
                built = self.platform(raw, path)
                if not self.faults:
                    platforms.append(built)
            errors += [(index, error) for error in self.faults]
        return tuple(platforms), errors

    def regex(self, source: str, path: YamlPath, *, templated: bool = False) -> str:
        probe = re.sub(r"\{\{\s*[A-Za-z_][A-Za-z0-9_]*\s*\}\}", "x", source) if templated else source
        try:
            compile_pattern(probe)
        except (regex.error, OverflowError, RecursionError, ValueError) as exc:
            self.note(f"bad regular expression: {exc}", path)
        return source

    def platform(self, raw: dict[str, Any], path: YamlPath) -> Platform:
        urls = raw.get("urls", {})
        profile = urls.get("profile")
        if profile is not None and "handle" not in template_variables(profile):
            self.note("profile URL has no {{handle}}", (*path, "urls", "profile"))
        for key in ("profile", "signup", "report", "recovery"):
            if urls.get(key) not in (None, *HELP_SENTINELS) and not str(urls[key]).startswith("mailto:"):
                self.url(urls[key], {"handle"}, (*path, "urls", key))
        handle = raw.get("handle", {})
        pattern = handle.get("pattern")
        if pattern is not None:
            self.regex(pattern, (*path, "handle", "pattern"))
        rate = raw.get("rate-limit")
        secrets = dict(raw.get("secrets", {}))
        if "handle" in secrets:
            self.note("'handle' cannot name a secret", (*path, "secrets", "handle"))
        return Platform(
            id=raw["id"],
            name=printable(raw["name"]),
            tags=tuple(raw.get("tags", ())),
            priority=Priority(raw.get("priority", "normal")),
            urls=Urls(
                profile=profile,
                signup=urls.get("signup"),
                report=help_link(urls.get("report")),
                recovery=help_link(urls.get("recovery")),
            ),
            help=read_help(urls, raw.get("verification"), raw.get("taps", {})),
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
            redirect_hosts=self.redirect_hosts(raw.get("redirect-hosts", []), (*path, "redirect-hosts")),
        )

    def profile_spec(self, raw: dict[str, Any], secrets: set[str], path: YamlPath) -> ProfileSpec:
        fields = [self.extractor(field, (*path, "fields", name), field=name) for name, field in raw["fields"].items()]
        request = self.request(raw["request"], {"handle"}, (*path, "request"), secrets) if "request" in raw else None
        return ProfileSpec(fields=tuple(fields), request=request)

    def url(self, template: str, allowed: set[str], path: YamlPath, secrets: set[str] | None = None) -> None:
        used = template_variables(template)
        if secrets and used & secrets:
            name = sorted(used & secrets)[0]
            self.note(f"secret {{{{{name}}}}} may not stand in a URL (URLs are shown in reports)", path)
            return
        unknown = used - allowed
        if unknown:
            self.note(f"unknown variable {{{{{sorted(unknown)[0]}}}}}", path)
            return
        try:
            render_url(template, dict.fromkeys(template_variables(template), "x"))
        except (UnsafeValue, MissingVariable, ValueError) as exc:
            self.note(f"bad URL template: {exc}", path)
            return
        refusal = template_refusal(template)
        if refusal is not None:
            self.note(f"bad URL template: {refusal}", path)

    def redirect_hosts(self, hosts: list[str], path: YamlPath) -> tuple[str, ...]:
        """The other hosts a platform's requests may be redirected to (host names, by the schema)."""
        for index, host in enumerate(hosts):
            refusal = host_refusal(host)
            if refusal is not None:
                self.note(str(refusal), (*path, index))
        return tuple(host.lower() for host in hosts)

    def request(
        self, raw: dict[str, Any], allowed: set[str], path: YamlPath, secrets: set[str] | None = None
    ) -> RequestSpec:
        """A request template; `secrets` may be used in its headers and body, never its URL."""
        self.url(raw["url"], allowed, (*path, "url"), secrets)
        headers = tuple(raw.get("headers", {}).items())
        for name, value in headers:
            if has_line_break(name) or has_line_break(value):
                self.note("header carries a line break", (*path, "headers", name))
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
            self.note(f"unknown variable {{{{{sorted(unknown)[0]}}}}}", path)
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
                    self.note(
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

    def extractor(self, raw: dict[str, Any], path: YamlPath, *, field: str | None = None) -> Extractor:
        """A prefetch's extractor (named by its `name`), or the profile `field` (whose `name`,
        if any, is the meta tag's)."""
        if "regex" in raw:
            self.regex(raw["regex"], (*path, "regex"))
        return Extractor(
            type=ExtractorType(raw["type"]),
            name=raw["name"] if field is None else field,
            part=Part(raw.get("part", "body")),
            regex=raw.get("regex"),
            group=raw.get("group", 1),
            path=raw.get("path"),
            key=(raw.get("name") if field is not None else None) or raw.get("header") or raw.get("cookie"),
        )

    def outcome(self, raw: dict[str, Any], variables: set[str], path: YamlPath) -> Outcome:
        verdict = Verdict(raw["verdict"])
        reason = Reason(raw["reason"]) if "reason" in raw else None
        if reason is not None and verdict is not Verdict.UNKNOWN:
            self.note("only an 'unknown' outcome takes a reason", (*path, "reason"))
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
        unknown = {name for text in words + regexes for name in template_variables(text)} - variables
        if unknown:
            self.note(f"unknown variable {{{{{sorted(unknown)[0]}}}}}", path)
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


def build_entries(source: str, entries: Sequence[dict[str, Any]]) -> tuple[Platform, ...]:
    """Platforms from entries written by code (domains, fediverse servers), through the same
    checks as a platform file's; the first fault is raised (a fault there is a bug)."""
    platforms, errors = Builder(source, None, {"platforms": list(entries)}).build_all(entries)
    if errors:
        raise errors[0][1]
    return platforms


def taken_when_json_has(path: str) -> dict[str, Any]:
    """The outcome of a JSON API that answers 200 with `path` for an account that exists."""
    return {
        "verdict": "taken",
        "matchers-condition": "and",
        "matchers": [{"type": "status", "status": [200]}, {"type": "json", "path": path, "exists": True}],
    }
