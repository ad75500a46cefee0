"""Every fault of a document against a JSON schema, found with fastjsonschema.

fastjsonschema compiles a schema to Python and passes a valid document 12 to 15 times faster
than jsonschema, but it stops at a document's first error. `SchemaFaults` asks it once about
the whole document; only a document that fails is walked, so that each independent fault is
found, at the deepest path that holds it:

- a node's children (`properties`, `patternProperties`, `additionalProperties`, `items`,
  `propertyNames`) are walked each with its own sub-schema;
- `allOf`, `anyOf`, `oneOf`, `if`/`then`/`else` and `not` apply their sub-schemas to the same
  value; of the alternatives of an anyOf or oneOf that fail, the one the value's type fits
  is walked (`5` against an integer or a string: the integer's minimum);
- every other keyword is checked on its own, by a validator compiled for it alone (and
  cheaply: with the `$defs` only if it names one), so that each value is judged by
  fastjsonschema's own code, as the whole was;
- local `$ref`s are followed; like fastjsonschema (draft 7), a `$ref`'s siblings are ignored.

A fault's message says what is wrong with the value, in jsonschema's words ("'x' is not one
of ['a', 'b']"), without the path: the caller places it by `Fault.path`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import fastjsonschema

Path = tuple[str | int, ...]
Schema = Mapping[str, Any]
_Check = Callable[[Any], Any]

# What says nothing about the value, or is read with the keyword that needs it.
_ANNOTATIONS = ("$schema", "$id", "$defs", "definitions", "$comment", "title", "description", "default", "examples")
_SILENT = frozenset((*_ANNOTATIONS, "then", "else"))


@dataclass(frozen=True, slots=True)
class Fault:
    path: Path
    """Where, from the root of the document checked: keys and list indexes."""
    message: str


class SchemaFaults:
    """The faults of a document against `root` (or against its part at the JSON pointer `at`,
    "#/$defs/platform", say): none for a valid one, in one compiled call."""

    def __init__(self, root: Schema, at: str = "#") -> None:
        self._root = root
        self._start = self._resolve(at)
        self._whole = _compile(root if at == "#" else {**_context(root), "$ref": at})
        self._by_node: dict[tuple[int, str], _Check] = {}
        self._by_text: dict[str, _Check] = {}

    def __call__(self, document: Any) -> list[Fault]:
        whole = _error(self._whole, document)
        if whole is None:
            return []
        # The walk and the compiled whole agree (the tests prove it on random documents);
        # were they ever not to, the document is refused all the same.
        return self._walk(self._start, document, ()) or [Fault((), whole.message)]

    def _resolve(self, pointer: str) -> Schema:
        if not pointer.startswith("#"):
            raise ValueError(f"only local $refs are followed, not {pointer!r}")
        node: Schema = self._root
        for token in filter(None, pointer[1:].split("/")):
            node = node[token.replace("~1", "/").replace("~0", "~")]
        return node

    def _walk(self, node: Schema, value: Any, path: Path) -> list[Fault]:
        while "$ref" in node:
            node = self._resolve(node["$ref"])
        found: list[Fault] = []
        for keyword in node:
            found += self._keyword(node, keyword, value, path)
        return found

    def _holds(self, node: Schema, value: Any) -> bool:
        return not self._walk(node, value, ())

    def _keyword(self, node: Schema, keyword: str, value: Any, path: Path) -> list[Fault]:
        argument = node[keyword]
        is_object = isinstance(value, dict)
        if keyword == "properties":
            pairs = [(sub, value[name], (*path, name)) for name, sub in argument.items() if is_object and name in value]
        elif keyword == "patternProperties":
            names = value if is_object else ()
            matched = [(sub, name) for pattern, sub in argument.items() for name in names if re.search(pattern, name)]
            pairs = [(sub, value[name], (*path, name)) for sub, name in matched]
        elif keyword == "additionalProperties" and isinstance(argument, Mapping):
            pairs = [(argument, value[name], (*path, name)) for name in (_extras(node, value) if is_object else ())]
        elif keyword == "items" and isinstance(argument, Mapping):
            items = value if isinstance(value, list | tuple) else ()
            pairs = [(argument, item, (*path, index)) for index, item in enumerate(items)]
        elif keyword == "propertyNames":
            pairs = [(argument, name, path) for name in (value if is_object else ())]
        elif keyword == "allOf":
            pairs = [(sub, value, path) for sub in argument]
        elif keyword == "if":
            branch = node.get("then" if self._holds(argument, value) else "else")
            pairs = [(branch, value, path)] if branch is not None else []
        elif keyword in ("anyOf", "oneOf"):
            return self._alternatives(keyword, argument, value, path)
        elif keyword == "not":
            wrong = self._holds(argument, value)
            return [Fault(path, f"{value!r} should not be valid under {argument!r}")] if wrong else []
        elif keyword in _SILENT:
            return []
        else:
            return self._own(node, keyword, value, path)
        return [fault for sub, part, where in pairs for fault in self._walk(sub, part, where)]

    def _alternatives(self, keyword: str, options: list[Schema], value: Any, path: Path) -> list[Fault]:
        held = [option for option in options if self._holds(option, value)]
        if len(held) == 1 or (held and keyword == "anyOf"):
            return []
        if held:
            return [Fault(path, f"{value!r} is valid under each of {', '.join(map(repr, held))}")]
        fitting = [option for option in options if self._fits(option, value)]
        if len(fitting) == 1:
            return self._walk(fitting[0], value, path)
        return [Fault(path, f"{value!r} is not valid under any of the given schemas")]

    def _fits(self, option: Schema, value: Any) -> bool:
        """Whether `option` names a type and `value` is of it."""
        while "$ref" in option:
            option = self._resolve(option["$ref"])
        return "type" in option and _error(self._check(option, "type"), value) is None

    def _own(self, node: Schema, keyword: str, value: Any, path: Path) -> list[Fault]:
        error = _error(self._check(node, keyword), value)
        return [] if error is None else [Fault(path, message) for message in _messages(node, keyword, value, error)]

    def _check(self, node: Schema, keyword: str) -> _Check:
        """`node`'s `keyword` alone, compiled once (and once for all nodes that say the same)."""
        key = (id(node), keyword)
        if key not in self._by_node:
            group = {keyword: node[keyword]}
            if keyword == "additionalProperties":  # which names are not additional
                for names in ("properties", "patternProperties"):
                    if node.get(names):
                        group[names] = {name: {} for name in node[names]}
            text = json.dumps(group, sort_keys=True)
            if text not in self._by_text:
                self._by_text[text] = _compile({**_context(self._root, refs='"$ref"' in text), **group})
            self._by_node[key] = self._by_text[text]
        return self._by_node[key]


def _context(root: Schema, *, refs: bool = True) -> dict[str, Any]:
    """What a part of `root` compiled on its own needs: the draft, and the `$defs` its `$ref`s
    name (only when it has any: they would be compiled into every error it can raise)."""
    return {key: root[key] for key in ("$schema", "$defs", "definitions") if key in root and (refs or key == "$schema")}


def _compile(schema: Schema) -> _Check:
    # A copy: fastjsonschema rewrites the $refs of what it compiles, against the schema's $id.
    return fastjsonschema.compile(json.loads(json.dumps(schema)))


def _error(check: _Check, value: Any) -> fastjsonschema.JsonSchemaValueException | None:
    try:
        check(value)
    except fastjsonschema.JsonSchemaValueException as error:
        return error
    return None


def _extras(node: Schema, value: dict[str, Any]) -> list[str]:
    named = node.get("properties", {})
    patterns = node.get("patternProperties", {})
    return [name for name in value if name not in named and not any(re.search(p, name) for p in patterns)]


def _messages(node: Schema, keyword: str, value: Any, error: fastjsonschema.JsonSchemaValueException) -> list[str]:
    """What is wrong with `value` by `node`'s `keyword`, in jsonschema's words."""
    argument = node[keyword]
    if keyword == "required":
        return [f"{name!r} is a required property" for name in argument if name not in value]
    if keyword == "additionalProperties":
        extras = sorted(_extras(node, value))
        verb = "was" if len(extras) == 1 else "were"
        return [f"Additional properties are not allowed ({', '.join(map(repr, extras))} {verb} unexpected)"]
    if keyword == "type":
        types = argument if isinstance(argument, list) else [argument]
        return [f"{value!r} is not of type {', '.join(map(repr, types))}"]
    if keyword == "const":
        return [f"{argument!r} was expected"]
    phrases: dict[str, str] = {
        "enum": f"is not one of {argument!r}",
        "pattern": f"does not match {argument!r}",
        "minimum": f"is less than the minimum of {argument!r}",
        "maximum": f"is greater than the maximum of {argument!r}",
        "minLength": "should be non-empty" if argument == 1 else "is too short",
        "minItems": "should be non-empty" if argument == 1 else "is too short",
        "minProperties": "should be non-empty" if argument == 1 else "does not have enough properties",
        "maxLength": "is too long",
        "maxItems": "is too long",
        "maxProperties": "has too many properties",
    }
    # Any other keyword in fastjsonschema's words, which name the value "data".
    return [f"{value!r} {phrases.get(keyword) or error.message.removeprefix('data ')}"]
