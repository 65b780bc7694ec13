"""What the scrubber masks in real and example answers, for a person to judge.

Runs :func:`cxstudy.privacy.scrub_text` over

* every open answer of the example study (``studies/example.yml``: its ``open_ended``
  columns in every export, with each row's own values in the study's ``pii_columns``),
* every text cell of the real exports in ``tests/fixtures/real`` (Qualtrics,
  SurveyMonkey, SPSS; no PII columns) and of ``../shared/data`` when it is there (files
  not already among the fixtures),
* a short list of probes: personal data the scrubber should mask and ordinary text it
  should leave (the hardening issue's examples),

and prints, per corpus, how many answers had something masked and each masked piece
(``original -> mask``), so that false positives (ordinary words or numbers masked) and
misses (probes left) can be read off. Run it before and after changing the patterns::

    PYTHONPATH=. .venv/bin/python scripts/scrub_report.py [--all]

``--all`` lists every masked piece (default: the first 40 of each corpus).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402 - the path above first

import cxstudy as cx  # noqa: E402
from cxstudy.privacy import PersonalValues, scrub_text  # noqa: E402

REAL = ROOT / "tests" / "fixtures" / "real"
SHARED = ROOT.parent / "shared" / "data"
EXPORTS = ("*.csv", "*.sav")
MASKS = re.compile(r"(\[(?:email|phone|link|name)\])")

# (text, what must not be left of it, the respondent's name or None)
PII_PROBES = [
    ("jose muller here", "muller", "José Müller"),
    ("Ask for Jose Muller please", "Jose", "José Müller"),
    ("O'Sullivan from billing helped", "Sullivan", "Aoife O’Sullivan"),
    ("OSullivan sorted it", "Sullivan", "Aoife O’Sullivan"),
    ("call me on 030/12345678", "12345678", None),
    ("my number is 07700900123x45", "900123", None),
    ("ring 020 7946 0958 ext. 45", "ext. 45", None),
    ("see larkfield.example/account?id=99812", "99812", None),
    ("our site larkfield.co.uk is slow", "larkfield", None),
    ("mail anna@mail.example", "anna@", None),
    ("call +44 7700 900123", "900123", None),
    ("see https://larkfield.example/x", "larkfield", None),
]
# ordinary text: nothing should be masked
ORDINARY_PROBES = [
    "support 24/7 would help", "it took 2-3 days", "on 12/03/2026 and 2026-03-12",
    "on 12.03.2026 at 14:30", "it cost £1,234.56 (up 12.5%)", "in 2019-2023 prices rose",
    "from 2024 to 2026", "e.g. the app, etc. i.e. billing", "version 3.5 and v2.0",
    "it was fine.Then it broke", "rated 8/10, 4 out of 5", "about 1.234.567 customers",
    "call centre hours 8-20", "ref 12345 was lost", "Mr. Smith at the desk",
]


def masked_pieces(before: str, after: str) -> list[str]:
    """The pieces of ``before`` that ``after`` replaced, as ``piece -> mask``: the text
    between the masks is kept as it was, so each mask stands for what lies between."""
    parts = MASKS.split(after)
    if len(before) > 20_000:  # the alignment below is for answers, not megabytes
        return [f"(an answer of {len(before)} characters) -> {m}" for m in parts[1::2]]
    shape = "".join(re.escape(p) if i % 2 == 0 else "(.+?)" for i, p in enumerate(parts))
    found = re.fullmatch(shape, before, flags=re.DOTALL)
    if found is None:  # a mask's own text was in the answer: show the whole answer
        return [f"{before!r} -> {after!r}"]
    return [f"{piece!r} -> {mask}" for piece, mask in zip(found.groups(), parts[1::2],
                                                          strict=True)]


def report(name: str, answers: pd.Series, scrubbed: pd.Series, limit: int | None) -> dict:
    """Print what was masked in one corpus; return its counts."""
    present = answers.notna()
    changed = present & (answers.astype("string") != scrubbed).fillna(False)
    kinds, pieces = Counter(), []
    for where, before, after in zip(answers.index[changed], answers[changed],
                                    scrubbed[changed], strict=True):
        for mask in ("[email]", "[phone]", "[link]", "[name]"):
            kinds[mask] += after.count(mask) - before.count(mask)
        pieces += [f"{where}: {piece}" for piece in masked_pieces(before, after)]
    print(f"\n== {name}: {int(present.sum())} answers, {int(changed.sum())} with something "
          f"masked ({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()) if v) or '-'})")
    for piece in pieces[:limit]:
        print("   ", piece[:200])
    if limit is not None and len(pieces) > limit:
        print(f"    ... and {len(pieces) - limit} more (--all)")
    return {"answers": int(present.sum()), "masked": int(changed.sum()), **kinds}


def example_corpus() -> tuple[pd.Series, pd.Series]:
    """The example study's open answers, each scrubbed with its row's own PII values."""
    study = cx.load_study(ROOT / "studies" / "example.yml")
    raw = cx.read_sources(study)
    wanted = {p.casefold() for p in study.pii_columns}
    personal = PersonalValues(raw[[c for c in raw.columns if str(c).casefold() in wanted]])
    answers, scrubbed = [], []
    for question in study.open_ended:
        for column in dict.fromkeys(question.columns.values()):
            if column in raw.columns:
                text = raw[column].astype("string")
                text.index = question.id + "/" + raw["source"].astype(str) + ":" + column
                answers.append(text)
                scrubbed.append(scrub_text(text, personal))
    return pd.concat(answers), pd.concat(scrubbed).set_axis(pd.concat(answers).index)


def text_cells(paths: list[Path]) -> pd.Series:
    """Every text cell of the exports (labels, metadata and open answers alike)."""
    cells = []
    for path in paths:
        try:
            frame = cx.read_export(path)
        except cx.CxStudyError as exc:  # a fixture the readers refuse on purpose
            print(f"   (skipped {path.name}: {str(exc).splitlines()[0][:100]})")
            continue
        for column in frame.columns:
            values = frame[column]
            if isinstance(values.dtype, pd.CategoricalDtype):
                values = values.astype(object)
            if values.dtype == object or isinstance(values.dtype, pd.StringDtype):
                text = values.map(lambda v: v if isinstance(v, str) and v.strip() else None)
                text = text.astype("string")
                text.index = [f"{path.name}:{str(column)[:40]}"] * len(text)
                cells.append(text)
    return pd.concat(cells) if cells else pd.Series([], dtype="string")


def exports(folder: Path, skip: set[str] = frozenset()) -> list[Path]:
    return sorted(p for pattern in EXPORTS for p in folder.rglob(pattern)
                  if p.name not in skip and "reference" not in p.parts)


def probes(limit: int | None) -> dict:
    """The issue's examples: personal data that should go, ordinary text that should stay."""
    missed = []
    for text, secret, name in PII_PROBES:
        personal = None if name is None else pd.DataFrame({"Name": [name]}, dtype="string")
        after = scrub_text(pd.Series([text]), personal).iloc[0]
        if secret in after:
            missed.append(f"{text!r} -> {after!r}")
    ordinary = pd.Series(ORDINARY_PROBES, dtype="string")
    ordinary.index = ["probe"] * len(ordinary)
    counts = report("ordinary probes (every mask is a false positive)", ordinary,
                    scrub_text(ordinary), limit)
    print(f"\n== personal-data probes: {len(PII_PROBES)}, missed {len(missed)}")
    for text in missed:
        print("    missed:", text)
    return {"pii probes": len(PII_PROBES), "missed": len(missed),
            "ordinary masked": counts["masked"]}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--all", action="store_true", help="list every masked piece")
    limit = None if parser.parse_args(argv).all else 40
    summary = {"example": report("example study, open answers", *example_corpus(), limit)}
    fixtures = exports(REAL)
    cells = text_cells(fixtures)
    summary["real fixtures"] = report("tests/fixtures/real, text cells", cells,
                                      scrub_text(cells), limit)
    if SHARED.is_dir():
        more = exports(SHARED, skip={p.name for p in fixtures})
        cells = text_cells(more)
        summary["shared data"] = report(f"{SHARED} (other files: {len(more)}), text cells",
                                        cells, scrub_text(cells), limit)
    summary["probes"] = probes(limit)
    print("\nsummary:")
    for name, counts in summary.items():
        print(f"  {name}: {dict(counts)}")
    return summary


if __name__ == "__main__":
    main()
