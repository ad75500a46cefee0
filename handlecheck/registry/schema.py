"""The platform file's JSON schema, and its validators, built once."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from ..schemafaults import SchemaFaults


@cache
def schema() -> dict[str, Any]:
    text = (resources.files("handlecheck") / "data" / "platforms.schema.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@cache
def top_validator() -> SchemaFaults:
    """The file's outer shape only; each platform is validated on its own."""
    outer = {key: value for key, value in schema().items() if key != "$defs"}
    outer["properties"] = {**schema()["properties"], "platforms": {"type": "array"}}
    return SchemaFaults(outer)


@cache
def platform_validator() -> SchemaFaults:
    return SchemaFaults(schema(), "#/$defs/platform")
