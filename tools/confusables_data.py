"""Write handlecheck/data/confusables.txt from Unicode's confusables.txt (UTS #39).

    python tools/confusables_data.py PATH/TO/confusables.txt

The skeleton needs every mapping of the file (character -> prototype) and nothing else: the
comments, the type column (always MA) and the character names are left out. The output keeps
the release's version, date and copyright in its header; its licence is
handlecheck/data/UNICODE-LICENSE.txt.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

OUTPUT = Path(__file__).resolve().parent.parent / "handlecheck" / "data" / "confusables.txt"


def convert(text: str) -> str:
    version = re.search(r"^# Version: (\S+)", text, re.MULTILINE)
    date = re.search(r"^# Date: (\d{4}-\d{2}-\d{2})", text, re.MULTILINE)
    copyright_line = re.search(r"^# (© .*)$", text, re.MULTILINE)
    if not (version and date and copyright_line):
        raise SystemExit("not Unicode's confusables.txt: no Version, Date or copyright line in its header")
    rows = []
    for line in text.splitlines():
        data = line.split("#", 1)[0].strip()
        if data:
            source, target, *_ = (field.strip() for field in data.split(";"))
            rows.append(f"{source};{target}")
    header = [
        f"# The mappings of Unicode's confusables.txt (UTS #39), Version {version[1]}, {date[1]}.",
        f"# {copyright_line[1]}",
        "# Licence: UNICODE-LICENSE.txt beside this file (Unicode License v3, SPDX Unicode-3.0).",
        "# Written by tools/confusables_data.py: source code point;prototype code points.",
    ]
    return "\n".join(header + rows) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", type=Path, help="Unicode's confusables.txt")
    args = parser.parse_args()
    OUTPUT.write_text(convert(args.source.read_text("utf-8-sig")), encoding="utf-8")
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    main()
