"""The types of command-line values: each parses one string or says, in one line, why not."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable


def whole_number(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{text!r} must be at least {minimum}")
        return value

    return parse


positive_int = whole_number(1)


non_negative_int = whole_number(0)


def number_between(low: float, high: float, unit: str) -> Callable[[str], float]:
    """A number of `unit` from `low` to `high` (nan is no number; inf is out of range)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if math.isnan(value):
            raise argparse.ArgumentTypeError(f"{text!r} is not a number of {unit}")
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text!r} must be between {low:g} and {high:g} {unit}")
        return value

    return parse


seconds = number_between(0, 86400, "seconds")


hours = number_between(0, 24 * 366 * 10, "hours")  # ten years: "reuse every answer"


def id_list(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]
