"""What the report notebooks call: page set-up, wording, and display tables.

Everything here returns data (frames, strings); the notebooks display it. Text that
comes from a study file or from respondents is HTML-escaped before it is put into
HTML or Markdown.
"""

from .display import (
    agreements,
    blind_spot_display,
    dimension_display,
    disagreement_display,
    display_table,
    gap_display,
    gap_index_display,
    importance_display,
    kruskal_display,
    largest_gaps,
    metric_display,
    metric_gap_display,
    missing_by_item,
    nan_to_dash,
    not_checked,
    rows_by_rule,
    table_html,
    weights_display,
)
from .page import locate, notebook_setup, setup
from .wording import (
    calibration_sentences,
    escape,
    headline_sentences,
    interval,
    method_notes,
    p_text,
    pct,
    points,
    quality_line,
    suppressed_note,
)

__all__ = [
    "agreements", "blind_spot_display", "calibration_sentences", "dimension_display",
    "disagreement_display", "display_table", "escape", "gap_display", "gap_index_display",
    "headline_sentences", "importance_display", "interval", "kruskal_display", "largest_gaps",
    "locate", "method_notes", "metric_display", "metric_gap_display", "missing_by_item",
    "nan_to_dash", "not_checked", "notebook_setup", "p_text", "pct", "points", "quality_line",
    "rows_by_rule", "setup", "suppressed_note", "table_html", "weights_display",
]
