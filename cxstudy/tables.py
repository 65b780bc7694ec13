"""Table contracts and the small-group rule, declared once.

Each table a study writes has a :class:`TableSpec`: its file name, the columns of its
contract (``docs/outputs.md``) and the further columns cxstudy adds, and which columns
are *estimates*, i.e. figures that rest on the respondents of a group. :func:`suppress`
is the one place where the small-group rule is applied: where a row rests on fewer than
``min_group_size`` respondents, every estimate of that row is blank and ``suppressed``
is true; counts of respondents (``n``) stay, so a reader can see why.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .model import Study


@dataclass(frozen=True)
class TableSpec:
    """One output table: ``<name>.csv`` with ``columns`` then ``extra``.

    ``estimates`` are blanked in suppressed rows; ``text_estimates`` (such as the
    name of the test used) are emptied.
    """

    name: str
    rows: str
    columns: tuple[str, ...]
    extra: tuple[str, ...] = ()
    estimates: tuple[str, ...] = ()
    text_estimates: tuple[str, ...] = ()

    @property
    def all_columns(self) -> list[str]:
        return [*self.columns, *self.extra]


def _spec(name: str, rows: str, columns: str, extra: str = "", estimates: str = "",
          text_estimates: str = "") -> TableSpec:
    return TableSpec(name, rows, tuple(columns.split()), tuple(extra.split()),
                     tuple(estimates.split()), tuple(text_estimates.split()))


GAPS = _spec(
    "gaps", "one per (item, audience other than the reference)",
    "item text dimension group reference n n_ref top_box top_box_ref gap gap_low gap_high "
    "p_value p_adjusted cohens_h mean mean_ref mean_diff mean_diff_low mean_diff_high "
    "cliffs_delta cliffs_delta_low cliffs_delta_high mw_p_value suppressed",
    "top_box_low top_box_high top_box_ref_low top_box_ref_high test mw_p_adjusted n_eff "
    "n_ref_eff equivalence_low equivalence_high equivalent note p_adjusted_headline",
    "top_box top_box_ref gap gap_low gap_high p_value p_adjusted cohens_h mean mean_ref "
    "mean_diff mean_diff_low mean_diff_high cliffs_delta cliffs_delta_low cliffs_delta_high "
    "mw_p_value top_box_low top_box_high top_box_ref_low top_box_ref_high mw_p_adjusted "
    "equivalence_low equivalence_high p_adjusted_headline",
    "test")
DIMENSIONS = _spec(
    "dimension_gaps", "one per (dimension, audience other than the reference)",
    "dimension group reference n n_ref alpha alpha_low alpha_high alpha_ref mean mean_ref "
    "mean_diff mean_diff_low mean_diff_high p_value p_adjusted suppressed",
    "items units alpha_ref_low alpha_ref_high mean_diff_se note",
    "alpha alpha_low alpha_high alpha_ref mean mean_ref mean_diff mean_diff_low "
    "mean_diff_high p_value p_adjusted alpha_ref_low alpha_ref_high mean_diff_se")
SHARES = _spec(
    "shares", "one per (item, audience), the reference included",
    "item text dimension headline group n top_box top_box_low top_box_high mean suppressed",
    estimates="top_box top_box_low top_box_high mean")
KRUSKAL = _spec(
    "kruskal", "one per item, all audiences at once (plus n_<audience> columns)",
    "item text dimension n h df p_value p_adjusted suppressed",
    estimates="h df p_value p_adjusted")
GAP_INDEX = _spec("perception_gap_index", "one per audience other than the reference",
                  "group reference items index index_low index_high n_boot")
BLIND_SPOTS = _spec(
    "blind_spots", "the largest positive gaps, per audience",
    "group rank item text dimension n n_ref top_box top_box_ref gap gap_low gap_high "
    "p_adjusted significant")
METRICS = _spec(
    "metrics", "one per (metric, audience)",
    "metric group n value se low high", "kind suppressed",
    estimates="value se low high")
METRIC_GAPS = _spec(
    "metric_gaps", "one per (metric, audience other than the reference)",
    "metric group reference gap se low high p_value p_adjusted", "kind")
TRENDS = _spec(
    "trends", "one per (item, audience other than the reference, consecutive pair of waves); "
    "an item not asked in one of the two waves, or whose series breaks between them "
    "(items[].break), keeps its row with every estimate blank, suppressed false and a note "
    "that says why (\"break in series at wave 2016: a neutral answer was added\")",
    "item text dimension group reference from_wave to_wave n_from n_ref_from n_to n_ref_to "
    "gap_from gap_to change change_low change_high p_value p_adjusted top_box_change "
    "top_box_change_low top_box_change_high top_box_ref_change top_box_ref_change_low "
    "top_box_ref_change_high suppressed",
    "top_box_from top_box_to top_box_ref_from top_box_ref_to note p_adjusted_headline",
    "gap_from gap_to change change_low change_high p_value p_adjusted top_box_change "
    "top_box_change_low top_box_change_high top_box_ref_change top_box_ref_change_low "
    "top_box_ref_change_high top_box_from top_box_to top_box_ref_from top_box_ref_to "
    "p_adjusted_headline")
DIMENSION_TRENDS = _spec(
    "dimension_trends",
    "one per (dimension, audience other than the reference, consecutive pair of waves); "
    "values are the differences in mean score from the reference; no row for a pair of "
    "waves across which an item of the dimension breaks (items[].break)",
    "dimension group reference from_wave to_wave value_from value_to change se change_low "
    "change_high p_value p_adjusted suppressed",
    estimates="value_from value_to change se change_low change_high p_value p_adjusted")
METRIC_TRENDS = _spec(
    "metric_trends", "one per (metric, audience, consecutive pair of waves in which the "
    "metric was asked)",
    "metric kind group from_wave to_wave value_from value_to change se change_low "
    "change_high p_value p_adjusted suppressed",
    estimates="value_from value_to change se change_low change_high p_value p_adjusted")
CALIBRATION = _spec(
    "calibration", "one per (estimated item, audience that estimated)",
    "item group n estimate actual actual_low actual_high error",
    "estimate_low estimate_high n_actual reference suppressed",
    estimates="estimate error estimate_low estimate_high")
THEMES = _spec(
    "themes", "one per (question, theme, audience); the pseudo-theme uncoded included",
    "question theme label group n mentions share share_low share_high gap gap_low gap_high "
    "p_value p_adjusted suppressed", "n_points points",
    estimates="mentions share share_low share_high gap gap_low gap_high p_value p_adjusted "
    "n_points points")
VOICE_SIMILARITY = _spec(
    "voice_similarity", "one per (open-ended question, pair of audiences)",
    "question group other n n_other similarity similarity_low similarity_high suppressed",
    "named named_other named_both n_boot",
    estimates="similarity similarity_low similarity_high named named_other named_both")
TONE = _spec(
    "tone", "one per (open question, audience), the reference included",
    "question role group reference n n_scored n_unscored mean mean_low mean_high gap gap_low "
    "gap_high p_value p_adjusted good good_low good_high bad bad_low bad_high suppressed",
    estimates="mean mean_low mean_high gap gap_low gap_high p_value p_adjusted good good_low "
    "good_high bad bad_low bad_high")
IMPORTANCE = _spec(
    "importance_performance", "one per item, for the reference audience",
    "item text dimension group n performance importance importance_low importance_high "
    "method quadrant", "suppressed",
    estimates="performance importance importance_low importance_high", text_estimates="quadrant")

SEGMENTS = _spec(
    "segments", "one per (segment, level, item, audience other than the reference)",
    "segment level item text group reference n n_ref top_box top_box_ref gap gap_low gap_high "
    "p_value p_adjusted suppressed levels_p_value",
    "label compared top_box_low top_box_high top_box_ref_low top_box_ref_high test "
    "levels_p_value_ref note gap_levels_p_value gap_levels_p_adjusted",
    "top_box top_box_ref gap gap_low gap_high p_value p_adjusted top_box_low top_box_high "
    "top_box_ref_low top_box_ref_high", "test")

CHOICES = _spec(
    "choices", "one per (choice question, option, audience other than the reference); "
    "shares of a check-all-that-apply question are among the respondents who answered it",
    "question option group reference n n_ref share share_low share_high share_ref "
    "share_ref_low share_ref_high gap gap_low gap_high p_value p_adjusted suppressed",
    "text multiple test n_eff n_ref_eff note",
    "share share_low share_high share_ref share_ref_low share_ref_high gap gap_low gap_high "
    "p_value p_adjusted", "test")
CHOICE_TESTS = _spec(
    "choice_tests", "one per pick-one question and set of audiences compared (all, then "
    "each against the reference), and per option of a check-all-that-apply question (all "
    "audiences): whether the audiences' answers differ",
    "question option groups n statistic df p_value p_adjusted method suppressed", "note",
    "statistic df p_value p_adjusted", "method")
CHOICE_TRENDS = _spec(
    "choice_trends", "one per (choice question, option, audience other than the reference, "
    "consecutive pair of waves): the change in the option's gap (MOVER)",
    "question option group reference from_wave to_wave n_from n_ref_from n_to n_ref_to "
    "gap_from gap_to change change_low change_high p_value p_adjusted suppressed",
    "share_from share_to share_ref_from share_ref_to note",
    "gap_from gap_to change change_low change_high p_value p_adjusted share_from share_to "
    "share_ref_from share_ref_to")
CHOICE_SEGMENTS = _spec(
    "choice_segments", "one per (segment, level, choice question, option, audience other "
    "than the reference): the option's gap within the level",
    "segment level question option group reference n n_ref share share_ref gap gap_low "
    "gap_high p_value p_adjusted suppressed",
    "label compared share_low share_high share_ref_low share_ref_high test levels_p_value "
    "levels_p_value_ref note",
    "share share_ref gap gap_low gap_high p_value p_adjusted share_low share_high "
    "share_ref_low share_ref_high levels_p_value levels_p_value_ref", "test")

SPECS: dict[str, TableSpec] = {spec.name: spec for spec in (
    GAPS, DIMENSIONS, SHARES, KRUSKAL, GAP_INDEX, BLIND_SPOTS, METRICS, METRIC_GAPS,
    CALIBRATION, THEMES, VOICE_SIMILARITY, TONE, IMPORTANCE, TRENDS, DIMENSION_TRENDS,
    METRIC_TRENDS, SEGMENTS, CHOICES, CHOICE_TESTS, CHOICE_TRENDS, CHOICE_SEGMENTS)}


def too_small(n, study: Study):
    """Whether ``n`` respondents are fewer than the study's ``min_group_size``
    (works on numbers and arrays)."""
    return np.asarray(n) < study.min_group_size


def complementary(n, study: Study) -> np.ndarray:
    """Which levels of a breakdown to hide: those with respondents but fewer than
    ``min_group_size``, and, where exactly one is hidden, the next smallest too, so that
    the hidden level cannot be recovered by subtracting the others from the total.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> complementary([40, 3, 12, 25], SimpleNamespace(min_group_size=5)).tolist()
    [False, True, True, False]
    """
    return complement_of(n, study) != NOT_HIDDEN


NOT_HIDDEN, TOO_SMALL = -2, -1  # complement_of: shown; hidden for its own size


def complement_of(n, study: Study) -> np.ndarray:
    """Why each level of a breakdown is hidden (:func:`complementary`): ``NOT_HIDDEN`` (-2)
    when shown, ``TOO_SMALL`` (-1) for a level with respondents but fewer than
    ``min_group_size``, else the position of the small level it is hidden to protect
    (the next smallest level, hidden so that the small one cannot be worked out by
    subtracting the others from the total).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> complement_of([40, 3, 12, 25], SimpleNamespace(min_group_size=5)).tolist()
    [-2, -1, 1, -2]
    """
    n = np.asarray(n, dtype=float)
    small = (n > 0) & too_small(n, study)
    why = np.where(small, TOO_SMALL, NOT_HIDDEN)
    if small.sum() == 1:
        shown = np.flatnonzero((n > 0) & ~small)
        if len(shown):
            why[shown[np.argmin(n[shown])]] = int(np.flatnonzero(small)[0])
    return why


def suppress(table: pd.DataFrame, spec: TableSpec, mask) -> pd.DataFrame:
    """Blank every estimate of ``spec`` in the rows where ``mask`` holds; set
    ``suppressed`` (kept true where it already was). Returns the table (changed in place).
    """
    mask = np.asarray(mask, dtype=bool)
    if "suppressed" in table.columns:
        mask = mask | table["suppressed"].astype(object).eq(True).to_numpy()
    present = [c for c in spec.estimates if c in table.columns]
    if mask.any():
        for column in present:
            if not pd.api.types.is_float_dtype(table[column]):
                table[column] = table[column].astype("float64")
        table.loc[mask, present] = np.nan
        table.loc[mask, [c for c in spec.text_estimates if c in table.columns]] = ""
    table["suppressed"] = mask
    return table


def conform(table: pd.DataFrame, spec: TableSpec) -> pd.DataFrame:
    """The table's columns in contract order (the spec's columns, then its extras,
    then anything else, such as ``wave``, first)."""
    leading = [c for c in ("wave",) if c in table.columns and c not in spec.all_columns]
    ordered = [c for c in spec.all_columns if c in table.columns]
    rest = [c for c in table.columns if c not in ordered and c not in leading]
    return table[leading + ordered + rest]
