"""YAML files read with their line numbers, so errors can say where they are.

Every file handlecheck reads is JSON-shaped data, and may come from anyone: a document is
refused when it is nested deeper than `MAX_DEPTH`, when an alias contains itself or aliases
blow it up (a "billion laughs" file), and when it holds a key that is not a string or a value
JSON has no type for (a date, binary data, a set).

A document is read in one pass over libyaml's events, straight to dicts and lists: PyYAML's
node tree and constructor would take a minute and a gigabyte for a file of 20 MB. Lines are
found afterwards, only for what an error names: `YamlLines` reads the events once more for
any number of paths, and `load_yaml` still gives small files (a config, a brand list) their
node tree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import yaml

from .errors import ConfigError

# libyaml's parser when PyYAML was built with it: several times faster on large files.
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

YamlPath = tuple[str | int, ...]

# Far deeper than any platform, config or brand file. libyaml's composer recurses in C: a
# document nested tens of thousands of levels deep would crash the process, not raise.
MAX_DEPTH = 100
# Aliases may repeat parts of a document: up to this many nodes, or this many times its size.
MAX_ALIASED_NODES = 10_000
MAX_ALIAS_EXPANSION = 10
_TAG = "tag:yaml.org,2002:"
_STR = _TAG + "str"
_MERGE = _TAG + "merge"
_COLLECTION_TAGS = frozenset((_TAG + "seq", _TAG + "map"))


class _Merge:
    """The `<<` key: its value's mappings are merged into the mapping that holds it."""


_MERGE_KEY = _Merge()


class _Open:
    """A mapping or list being read: where its next item goes, and what an anchor on it needs."""

    __slots__ = ("anchor", "container", "key", "merges", "start")

    def __init__(self, container: dict[str, Any] | list[Any], anchor: str | None, start: int) -> None:
        self.container = container
        self.key: str | _Merge | None = None
        self.merges: list[dict[str, Any]] = []
        self.anchor = anchor
        self.start = start


def read_yaml(text: str, source: str) -> Any:
    """The data of a YAML document (dicts, lists, str, int, float, bool, None); raises
    ConfigError naming the line for anything not valid or not JSON-shaped."""
    constructor = _Loader("")  # its resolver and scalar constructors only
    try:
        return _Reader(constructor, source).document(yaml.parse(text, Loader=_Loader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"not valid YAML: {problem}", source=source, line=mark.line + 1 if mark else None) from None
    except (ValueError, LookupError):  # PyYAML's constructors, on `!!int ""`, `!!bool x` or a huge number
        raise ConfigError("not valid YAML: a number or true/false value cannot be read", source=source) from None
    finally:
        constructor.dispose()


def load_yaml(text: str, source: str) -> tuple[yaml.Node | None, Any]:
    """The data of a small YAML file and its node tree, for `line_of` (a config or brand list,
    whose every entry may need its line)."""
    data = read_yaml(text, source)
    return yaml.compose(text, Loader=_Loader), data  # read_yaml refused what could crash it


class _Reader:
    """One pass over the events of one document: the data, and every refusal on the way."""

    def __init__(self, loader: yaml.SafeLoader, source: str) -> None:
        self.source = source
        self.resolvers = loader.yaml_implicit_resolvers
        self.resolve: Callable[[type[yaml.Node], str, tuple[bool, bool]], str] = loader.resolve
        self.construct: dict[str, Callable[[yaml.ScalarNode], Any]] = {
            _TAG + "int": loader.construct_yaml_int,
            _TAG + "float": loader.construct_yaml_float,
            _TAG + "bool": loader.construct_yaml_bool,
            _TAG + "null": loader.construct_yaml_null,
        }
        self.root: list[Any] = []
        self.open: list[_Open] = []
        # An anchor's value and its size with aliases expanded (None while it is still open).
        self.anchors: dict[str, tuple[Any, int | None]] = {}
        self.nodes = 0
        self.expanded = 0

    def fail(self, message: str, event: yaml.Event) -> ConfigError:
        return ConfigError(f"not valid YAML: {message}", source=self.source, line=_line(event))

    def document(self, events: Iterator[yaml.Event]) -> Any:
        documents = 0
        for event in events:
            if isinstance(event, yaml.ScalarEvent):
                self.nodes += 1
                self.expanded += 1
                value = self.scalar(event)
                if event.anchor is not None:
                    self.define(event.anchor, event, value, 1)
                self.add(value, event)
            elif isinstance(event, yaml.CollectionStartEvent):
                self.start(event)
            elif isinstance(event, yaml.CollectionEndEvent):
                self.end(event)
            elif isinstance(event, yaml.AliasEvent):
                self.add(self.alias(event), event)
            elif isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise self.fail("expected a single document, but found another", event)
        if not documents:
            raise ConfigError("file is empty", source=self.source)
        if self.expanded > max(MAX_ALIASED_NODES, MAX_ALIAS_EXPANSION * self.nodes):
            raise ConfigError("not valid YAML: aliases expand the document too much", source=self.source)
        return self.root[0] if self.root else None

    def scalar(self, event: yaml.ScalarEvent) -> Any:
        tag = event.tag
        if tag is None or tag == "!":
            plain = event.implicit[0] and event.value[:1] in self.resolvers
            tag = self.resolve(yaml.ScalarNode, event.value, event.implicit) if plain else _STR
        if tag == _STR:
            return event.value
        if tag == _MERGE and self.wants_key():
            return _MERGE_KEY
        if tag not in self.construct:
            raise self.unsupported(tag, event)
        return self.construct[tag](yaml.ScalarNode(tag, event.value))

    def unsupported(self, tag: str, event: yaml.Event) -> ConfigError:
        return self.fail(f"a value of type {tag.removeprefix(_TAG)!r} is not supported (quote it for a string)", event)

    def alias(self, event: yaml.AliasEvent) -> Any:
        if event.anchor not in self.anchors:
            raise self.fail(f"found undefined alias {event.anchor!r}", event)
        value, size = self.anchors[event.anchor]
        if size is None:
            raise self.fail("an alias refers to a node that contains it", event)
        self.expanded += size
        return value

    def wants_key(self) -> bool:
        return bool(self.open) and isinstance(self.open[-1].container, dict) and self.open[-1].key is None

    def define(self, anchor: str, event: yaml.NodeEvent, value: Any, size: int | None) -> None:
        if anchor in self.anchors:
            raise self.fail(f"anchor {anchor!r} is defined twice", event)
        self.anchors[anchor] = (value, size)

    def start(self, event: yaml.CollectionStartEvent) -> None:
        if len(self.open) >= MAX_DEPTH:
            raise self.fail(f"nested more than {MAX_DEPTH} deep", event)
        if self.wants_key():
            raise self.fail("key a list or mapping is not a string (quote it)", event)
        if event.tag is not None and event.tag != "!" and event.tag not in _COLLECTION_TAGS:
            raise self.unsupported(event.tag, event)
        container: dict[str, Any] | list[Any] = {} if type(event) is yaml.MappingStartEvent else []
        self.open.append(_Open(container, event.anchor, self.expanded))
        self.nodes += 1
        self.expanded += 1
        if event.anchor is not None:
            self.define(event.anchor, event, container, None)

    def end(self, event: yaml.Event) -> None:
        done = self.open.pop()
        container = done.container
        if done.merges and isinstance(container, dict):
            # The mapping's own keys win, then the merged mappings in their order (YAML's rule).
            merged: dict[str, Any] = {}
            for source in reversed(done.merges):
                merged.update(source)
            merged.update(container)
            container.clear()
            container.update(merged)
        if done.anchor is not None:
            self.anchors[done.anchor] = (container, self.expanded - done.start)
        self.add(container, event)

    def add(self, value: Any, event: yaml.Event) -> None:
        if not self.open:
            self.root.append(value)
            return
        parent = self.open[-1]
        container = parent.container
        if isinstance(container, list):
            container.append(value)
        elif parent.key is None:
            if not isinstance(value, str | _Merge):
                shown = repr(event.value) if isinstance(event, yaml.ScalarEvent) else "a list or mapping"
                raise self.fail(f"key {shown} is not a string (quote it)", event)
            parent.key = value
        elif isinstance(parent.key, _Merge):
            parent.key = None
            sources = value if isinstance(value, list) else [value]
            if not all(isinstance(source, dict) for source in sources):
                raise self.fail("'<<' merges a mapping or a list of mappings only", event)
            parent.merges.extend(sources)
        else:
            container[parent.key] = value
            parent.key = None


class YamlLines:
    """Where the parts of a YAML text are, for errors: found by reading its events again when
    asked (one read answers any number of paths), so no node tree is ever held."""

    def __init__(self, text: str) -> None:
        self.text = text

    def find(self, paths: Iterable[YamlPath]) -> dict[YamlPath, int]:
        """The 1-based line of each path's node, or of its nearest ancestor in the text."""
        wanted = set(paths)
        trie: dict[Any, Any] = {}
        for path in wanted:
            branch = trie
            for key in path:
                branch = branch.setdefault(key, {})
        reached: dict[YamlPath, int] = {}
        _walk(yaml.parse(self.text, Loader=_Loader), trie, reached)
        found: dict[YamlPath, int] = {}
        for path in wanted:
            length = len(path)
            while length >= 0 and path[:length] not in reached:
                length -= 1
            if length >= 0:
                found[path] = reached[path[:length]]
        return found


class _Place:
    """An open collection on the way to a path: its branch of the paths, and its next item."""

    __slots__ = ("branch", "index", "key", "mapping", "path")

    def __init__(self, branch: dict[Any, Any], path: YamlPath, mapping: bool) -> None:
        self.branch = branch
        self.path = path
        self.mapping = mapping
        self.index = 0
        self.key: str | None = None  # a mapping's key, while its value is awaited

    def child(self, event: yaml.NodeEvent) -> tuple[dict[Any, Any] | None, YamlPath]:
        """Where the node that starts with `event` is, if it is on the way to a path."""
        if self.mapping and self.key is None:
            value = getattr(event, "value", None)
            self.key = value if isinstance(value, str) else ""
            return None, ()
        key: str | int
        if self.mapping:
            key, self.key = self.key or "", None
        else:
            key, self.index = self.index, self.index + 1
        branch = self.branch.get(key)
        return (branch, (*self.path, key)) if branch is not None else (None, ())


def _walk(events: Iterator[yaml.Event], trie: dict[Any, Any], reached: dict[YamlPath, int]) -> None:
    """Record the line of each node the trie of paths leads to; read past every other subtree."""
    places: list[_Place] = []
    for event in events:
        if isinstance(event, yaml.CollectionEndEvent):
            places.pop()
            continue
        if not isinstance(event, yaml.NodeEvent):
            continue
        branch, path = places[-1].child(event) if places else (trie, ())
        line = _line(event)
        if branch is not None and line is not None:
            reached[path] = line
        if isinstance(event, yaml.CollectionStartEvent):
            if branch is None:
                _skip(events)
            else:
                places.append(_Place(branch, path, isinstance(event, yaml.MappingStartEvent)))


def _skip(events: Iterator[yaml.Event]) -> None:
    """Read past the rest of a collection whose start was just read."""
    depth = 1
    while depth:
        event = next(events)
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _line(event: yaml.Event) -> int | None:
    return event.start_mark.line + 1 if event.start_mark is not None else None


def line_of(node: yaml.Node | None, path: YamlPath) -> int | None:
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
