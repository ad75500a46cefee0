"""Platform files written out as YAML (the importer's output)."""

from __future__ import annotations

from typing import Any

import yaml

_Base: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _PlainDumper(_Base):  # type: ignore[misc,valid-type]
    """Writes a repeated value out in full instead of as a YAML alias (&id001 / *id001)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def dump_yaml(document: Any) -> str:
    """Readable YAML: keys in the order given, block style, long strings unwrapped."""
    text: str = yaml.dump(
        document, Dumper=_PlainDumper, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100000
    )
    return text
