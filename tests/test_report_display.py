"""The report's tables (cxstudy.report.display): prose wraps, figures stay whole."""

from __future__ import annotations

import re

import pandas as pd


def test_tables_wrap_prose_and_keep_figures_whole():
    """Quotes and item wording wrap (text columns are "str" under pandas 3, not object);
    figures with their intervals are not prose."""
    frame = pd.DataFrame({
        "Answer": ["The engineer was friendly and fixed the boiler in an hour, thank you",
                   "Fine"],
        "Share (CI)": ["76% (57–89%)", "12% (10–14%)"],
        "p (adjusted)": ["< 0.001 (score)", "0.012 (fisher)"],
        "n": [25, 968]})
    from cxstudy import report

    page = report.table_html(frame)
    kinds = {name: kind for kind, name in re.findall(r'<th class="([\w-]+)">([^<]+)</th>',
                                                     page)}
    assert kinds == {"Answer": "cx-prose", "Share (CI)": "cx-fig", "p (adjusted)": "cx-fig",
                     "n": "cx-num"}
