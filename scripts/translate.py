"""Fill German translations into the web app's catalogue from a Python dict file.

    .venv/bin/python scripts/translate.py NEW.py   # NEW.py defines DE = {"English": "Deutsch"}

Only entries of the catalogue are filled (a text no page uses is refused, so a typo shows);
then ``make translations`` compiles. Editing the .po file by hand works just as well.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

PO = Path(__file__).resolve().parents[1] / "louise/translations/de/LC_MESSAGES/messages.po"


def main(path: str) -> int:
    texts: dict[str, str] = runpy.run_path(path)["DE"]
    with PO.open("rb") as handle:
        catalog = read_po(handle, locale="de")
    unknown = [text for text in texts if text not in catalog]
    for text, german in texts.items():
        if text in catalog:
            message = catalog[text]
            message.string = german
            message.flags.discard("fuzzy")
    with PO.open("wb") as handle:
        write_po(handle, catalog, width=76)  # the width pybabel update writes
    for text in unknown:
        print(f"not in the catalogue (run `make translations` first?): {text!r}", file=sys.stderr)
    return 1 if unknown else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
