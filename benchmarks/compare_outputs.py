"""Two runs' outputs side by side: is every table, CSV and page the same?

Compares two ``--out`` folders of ``cxstudy run`` (``data/processed/<slug>/`` and
``reports/<slug>/``), file by file:

CSV        byte equality; where the bytes differ, the two files read with pandas: the
           shape and columns, then per column, numbers: the largest absolute and relative
           difference (NaN equal to NaN); text: the rows that differ
parquet    the frames, compared the same way
HTML       the pages' visible text (script, style and the build time left out), line by
           line: the lines that differ
workbook   every sheet read with pandas and compared as a frame
deck       every slide's text (shapes' text frames and tables), line by line
other      (notebooks, manifest) byte equality only, said, not compared

Usage:  .venv/bin/python benchmarks/compare_outputs.py OLD_OUT NEW_OUT [--slug example]
"""

from __future__ import annotations

import argparse
import difflib
import html.parser
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd

BUILT = re.compile(r"built \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC")


class _Text(html.parser.HTMLParser):
    """The visible text of a page, one line per block of text."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._hidden += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.lines.append(BUILT.sub("built …", " ".join(data.split())))


def visible_text(path: Path) -> list[str]:
    parser = _Text()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.lines


def _as_numbers(values: pd.Series) -> pd.Series:
    """Text that is all numbers (a workbook's cells read without a header) as numbers."""
    if pd.api.types.is_numeric_dtype(values):
        return values
    numbers = pd.to_numeric(values, errors="coerce")
    return numbers if numbers.notna().sum() == values.notna().sum() else values


def compare_frames(old: pd.DataFrame, new: pd.DataFrame) -> list[str]:
    """What differs between two frames: shape, columns, each column's largest
    difference (numbers) or rows that differ (text)."""
    said = []
    if list(old.columns) != list(new.columns):
        said.append(f"columns differ: only old {sorted(set(old.columns) - set(new.columns))}, "
                    f"only new {sorted(set(new.columns) - set(old.columns))}")
    if len(old) != len(new):
        return [*said, f"rows: {len(old)} old, {len(new)} new"]
    old, new = old.reset_index(drop=True), new.reset_index(drop=True)
    for column in [c for c in old.columns if c in new.columns]:
        a, b = _as_numbers(old[column]), _as_numbers(new[column])
        numeric = (pd.api.types.is_numeric_dtype(a) and pd.api.types.is_numeric_dtype(b)
                   and not pd.api.types.is_bool_dtype(a))
        if numeric:
            x = a.to_numpy(dtype=float, na_value=np.nan)
            y = b.to_numpy(dtype=float, na_value=np.nan)
            both_nan = np.isnan(x) & np.isnan(y)
            one_nan = np.isnan(x) ^ np.isnan(y)
            diff = np.where(both_nan | one_nan, 0.0, np.abs(x - y))
            if one_nan.any() or diff.max(initial=0) > 0:
                scale = np.maximum(np.abs(x), np.abs(y))
                rel = np.where(scale > 0, diff / np.where(scale > 0, scale, 1), 0)
                said.append(f"{column}: {int((diff > 0).sum())} value(s) differ, max abs "
                            f"{diff.max():.3g}, max rel {np.nanmax(rel):.3g}"
                            + (f"; {int(one_nan.sum())} missing in one only"
                               if one_nan.any() else ""))
        else:
            x = a.astype("string").fillna("<NA>")
            y = b.astype("string").fillna("<NA>")
            differ = (x != y).to_numpy()
            if differ.any():
                first = int(np.flatnonzero(differ)[0])
                said.append(f"{column}: {int(differ.sum())} row(s) differ (first, row {first}: "
                            f"{x[first]!r} -> {y[first]!r})")
    return said


def deck_text(path: Path) -> list[str]:
    """Every slide's text: its shapes' text frames and table cells, in order."""
    from pptx import Presentation

    lines = []
    for number, slide in enumerate(Presentation(path).slides, start=1):
        for shape in slide.shapes:
            if shape.has_text_frame:
                lines += [f"slide {number}: {t}" for t in shape.text_frame.text.splitlines()]
            if getattr(shape, "has_table", False) and shape.has_table:
                lines += [f"slide {number}: " + " | ".join(c.text for c in row.cells)
                          for row in shape.table.rows]
    return lines


def compare(old_root: Path, new_root: Path, slug: str) -> int:
    folders = [Path("data") / "processed" / slug, Path("reports") / slug]
    files = sorted({p.relative_to(root) for root in (old_root, new_root) for folder in folders
                    for p in (root / folder).rglob("*") if p.is_file()})
    differ = 0
    for name in files:
        old, new = old_root / name, new_root / name
        if not old.exists() or not new.exists():
            print(f"{name}: only in {'new' if new.exists() else 'old'}")
            differ += 1
            continue
        if old.read_bytes() == new.read_bytes():
            print(f"{name}: identical")
            continue
        if name.suffix == ".csv":
            said = compare_frames(pd.read_csv(old, keep_default_na=False, na_values=[""]),
                                  pd.read_csv(new, keep_default_na=False, na_values=[""]))
        elif name.suffix == ".parquet":
            said = compare_frames(pd.read_parquet(old), pd.read_parquet(new))
        elif name.suffix == ".html":
            a, b = visible_text(old), visible_text(new)
            said = [line for line in difflib.unified_diff(a, b, lineterm="", n=0)
                    if line[:1] in "+-" and not line.startswith(("+++", "---"))]
        elif name.suffix == ".xlsx":
            a, b = (pd.read_excel(p, sheet_name=None) for p in (old, new))  # row 1: names
            said = [f"sheets: old {list(a)}, new {list(b)}"] if list(a) != list(b) else []
            said += [f"sheet {sheet}: {line}" for sheet in a if sheet in b
                     for line in compare_frames(a[sheet], b[sheet])]
        elif name.suffix == ".pptx":
            said = [line for line in difflib.unified_diff(deck_text(old), deck_text(new),
                                                          lineterm="", n=0)
                    if line[:1] in "+-" and not line.startswith(("+++", "---"))]
        else:
            print(f"{name}: bytes differ (not compared further)")
            continue
        if said:
            differ += 1
            print(f"{name}: DIFFERS")
            for line in said:
                print(f"    {line}")
        else:
            print(f"{name}: same content (bytes differ: "
                  + {".html": "build time, markup", ".xlsx": "the file's dates",
                 ".pptx": "the file's dates, images"}.get(name.suffix, "formatting") + ")")
    print(f"{len(files)} files, {differ} with differences in content")
    return 1 if differ else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--slug", default="example")
    args = parser.parse_args()
    return compare(args.old, args.new, args.slug)


if __name__ == "__main__":
    sys.exit(main())
