"""YAML files read with their line numbers, so errors can say where they are."""

from __future__ import annotations

from typing import Any

import yaml

from .errors import ConfigError

# libyaml's loader when PyYAML was built with it: several times faster on large files.
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

YamlPath = tuple[str | int, ...]


def load_yaml(text: str, source: str) -> tuple[yaml.Node | None, Any]:
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
