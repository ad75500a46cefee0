"""YAML files read with their line numbers, so errors can say where they are.

Every file handlecheck reads is JSON-shaped data, and may come from anyone: a document is
refused when it is nested deeper than `MAX_DEPTH`, when an alias contains itself or aliases
blow it up (a "billion laughs" file), and when it holds a key that is not a string or a value
JSON has no type for (a date, binary data, a set).
"""

from __future__ import annotations

from typing import Any

import yaml

from .errors import ConfigError

# libyaml's loader when PyYAML was built with it: several times faster on large files.
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

YamlPath = tuple[str | int, ...]

# Far deeper than any platform, config or brand file. libyaml's composer recurses in C: a
# document nested tens of thousands of levels deep would crash the process, not raise.
MAX_DEPTH = 100
# Aliases may repeat parts of a document: up to this many nodes, or this many times its size.
MAX_ALIASED_NODES = 10_000
MAX_ALIAS_EXPANSION = 10
_TAG = "tag:yaml.org,2002:"
_JSON_TAGS = frozenset(_TAG + name for name in ("str", "int", "float", "bool", "null", "seq", "map"))


def load_yaml(text: str, source: str) -> tuple[yaml.Node | None, Any]:
    try:
        _check_depth(text, source)
        node = yaml.compose(text, Loader=_Loader)
        if node is None:
            raise ConfigError("file is empty", source=source)
        _check_shape(node, source)
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
    except (ValueError, LookupError):  # PyYAML's constructors, on `!!int ""`, `!!bool x` or a huge number
        raise ConfigError("not valid YAML: a number or true/false value cannot be read", source=source) from None
    return node, data


def _check_depth(text: str, source: str) -> None:
    depth = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                line = event.start_mark.line + 1 if event.start_mark else None
                raise ConfigError(f"not valid YAML: nested more than {MAX_DEPTH} deep", source=source, line=line)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _check_shape(root: yaml.Node, source: str) -> None:
    """JSON types and string keys only; aliases that neither contain themselves nor expand
    the document beyond the limits."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def fail(message: str, node: yaml.Node) -> ConfigError:
        return ConfigError(f"not valid YAML: {message}", source=source, line=node.start_mark.line + 1)

    def size(node: yaml.Node) -> int:
        if id(node) in sizes:
            return sizes[id(node)]
        if id(node) in open_nodes:
            raise fail("an alias refers to a node that contains it", node)
        if node.tag not in _JSON_TAGS:
            kind = node.tag.removeprefix(_TAG)
            raise fail(f"a value of type {kind!r} is not supported (quote it for a string)", node)
        open_nodes.add(id(node))
        total = 1
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.tag != _TAG + "merge" and not (isinstance(key, yaml.ScalarNode) and key.tag == _TAG + "str"):
                    shown = repr(key.value) if isinstance(key, yaml.ScalarNode) else "a list or mapping"
                    raise fail(f"key {shown} is not a string (quote it)", key)
                total += 1 + size(value)
        elif isinstance(node, yaml.SequenceNode):
            total += sum(size(item) for item in node.value)
        open_nodes.discard(id(node))
        sizes[id(node)] = total
        return total

    if size(root) > max(MAX_ALIASED_NODES, MAX_ALIAS_EXPANSION * len(sizes)):
        raise ConfigError("not valid YAML: aliases expand the document too much", source=source)


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
