"""How many of a codebook's themes `cxstudy themes suggest` recovers, on two corpora.

1. The example study (studies/example.yml) against its own codebook
   (studies/themes/example.yml): suggestions made from every open answer, as the command
   makes them by default.
2. A real open-text export: the SurveyMonkey fixture's long answers to "What do you feel is
   the biggest issue in your neighborhood?" (tests/fixtures/real/surveymonkey, 179 answers)
   against a reference codebook written by hand before any suggestion was made for them
   (benchmarks/codebooks/surveymonkey_biggest_issue.yml).

A reference theme is recovered when a suggested theme's coded answers overlap its own with a
Jaccard index of at least 0.5 (:func:`cxstudy.suggest.recovery`); the table shows the best
match of each, with precision and recall. The default number of themes and, for comparison,
as many themes as the reference codebook has.

Usage:  .venv/bin/python benchmarks/suggest_recovery.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

import cxstudy as cx
from cxstudy import suggest, voices

ROOT = Path(__file__).resolve().parents[1]
SURVEYMONKEY = ROOT / "tests" / "fixtures" / "real" / "surveymonkey"
QUESTION = "What do you feel is the biggest issue in your neighborhood?"


def surveymonkey_study() -> cx.Study:
    return cx.load_study({
        "study": "SurveyMonkey long answers", "slug": "surveymonkey",
        "sources": [{"path": "ggwash_2022_anc_questionnaire_surveymonkey_redacted.csv",
                     "group_column": "Endorsed",
                     "group_map": {"Yes": "endorsed", "": "not_endorsed"}}],
        "groups": ["endorsed", "not_endorsed"],
        "pii_columns": ["Contact information - Name", "Contact information - Email"],
        "open_ended": [{"id": "biggest_issue", "question": QUESTION, "column": QUESTION}],
    }, base_dir=SURVEYMONKEY)


def measure(name: str, study: cx.Study, responses: pd.DataFrame, reference) -> None:
    for themes in (None, len(reference.themes)):
        found = suggest.suggest_themes(responses, study, themes=themes)
        book = voices.load_codebook(found.codebook_dict(), study)
        table = suggest.recovery(responses, study, reference, book)
        count = "default" if themes is None else f"{themes} (as the reference)"
        print(f"\n{name}: {found.answers} answers ({found.distinct} distinct); themes "
              f"suggested: {len(found.themes)}, {count}")
        print(f"  recovered: {int(table['recovered'].sum())} of {len(table)} reference themes "
              f"(Jaccard >= 0.5); mean best Jaccard {table['jaccard'].mean():.2f}")
        print(table.round(2).to_string(index=False))
        if themes is None:
            print("  suggested:")
            for theme in found.themes:
                print(f"    {theme.id}: {', '.join(theme.patterns)}  "
                      + "; ".join(f"{g} {n}" for g, n in theme.counts.items()))


def main() -> int:
    study = cx.load_study(ROOT / "studies" / "example.yml")
    responses = cx.clean(cx.read_sources(study), study).responses
    measure("example", study, responses, voices.study_codebook(study))
    study = surveymonkey_study()
    responses = cx.clean(cx.read_sources(study), study).responses
    reference = voices.load_codebook(ROOT / "benchmarks" / "codebooks"
                                     / "surveymonkey_biggest_issue.yml", study)
    measure("SurveyMonkey, biggest issue", study, responses, reference)
    return 0


if __name__ == "__main__":
    sys.exit(main())
