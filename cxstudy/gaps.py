"""Gap tables: how far each audience sits from the reference audience.

All functions take the cleaned responses and the study and return tidy frames
(the ``gaps.csv`` and ``dimension_gaps.csv`` contracts of docs/outputs.md, plus a few extra
columns). Item statistics come from :func:`~cxstudy.counts.level_counts`: one pass
over the data, then arrays of shape (items x groups x levels). Each table is made from
the counts alone: given ``counts=``, the responses may be None
(``cx.gap_table(None, study, counts=c)``) and the table's wave is the counts' own.

Suppression: a row whose audience or reference has fewer than ``min_group_size``
respondents keeps its ``n`` and ``n_ref`` but every estimate is blank and
``suppressed`` is true. Where a statistic does not exist (no variance, a single
respondent) it is blank and ``note`` says why.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from . import stats
from .counts import (
    LevelCounts,
    PatternCounts,
    group_codes,
    item_codes,
    level_counts,
    respondent_weights,
    sparse_pattern_counts,
)
from .model import Study
from .tables import DIMENSIONS, GAPS, KRUSKAL, SHARES, conform, suppress, too_small
from .waves import adjust_headline, per_wave, per_wave_table


@per_wave
def gap_table(responses: pd.DataFrame | None, study: Study, *,
              counts: LevelCounts | None = None) -> pd.DataFrame:
    """Every item's gap between each audience and the reference audience.

    One row per (item, group != reference): top-box shares with Wilson intervals,
    the gap in shares with Newcombe's hybrid score interval, the score-test p
    (Fisher's exact where an expected count is under 5), Cohen's h, means with the
    Welch interval of their difference, Mann-Whitney p and Cliff's delta with its
    interval. ``p_adjusted`` (and ``mw_p_adjusted``) use the study's correction
    (Holm by default) over all tests in the table; ``p_adjusted_headline`` the same
    correction over the headline items' gaps alone (the study's primary question,
    :func:`~cxstudy.waves.adjust_headline`), blank for other items. ``equivalent`` says whether the
    gap's whole ``1 - 2 alpha`` interval (``equivalence_low``, ``equivalence_high``)
    lies within the study's ``agreement_margin`` (two one-sided tests).

    Parameters
    ----------
    responses : pandas.DataFrame or None
        Cleaned responses (:attr:`CleaningResult.responses`; ``weight`` is used when
        not all ones); None when ``counts`` are given.
    study : Study
        The study (:func:`~cxstudy.load_study`): audiences, reference, items,
        ``confidence``, ``correction``, ``min_group_size``.
    counts : LevelCounts, optional
        Precomputed :func:`~cxstudy.counts.level_counts` (computed from ``responses`` when
        omitted): the table is made from them alone, its wave theirs.

    Returns
    -------
    pandas.DataFrame
        Columns of ``gaps.csv`` (docs/outputs.md) then its further columns
        ``top_box_low, top_box_high, top_box_ref_low, top_box_ref_high, test,
        mw_p_adjusted, n_eff, n_ref_eff, equivalence_low, equivalence_high, equivalent,
        note, p_adjusted_headline``. Shares and gaps are fractions. Rows below
        ``min_group_size`` keep ``n`` and ``n_ref`` but no estimates (``suppressed``
        true). In a study with waves, computed within each wave and stacked with a
        ``wave`` column first.

    Notes
    -----
    Gap :math:`= \\hat p_g - \\hat p_{ref}`; Cohen's :math:`h = 2\\arcsin\\sqrt{\\hat p_g}
    - 2\\arcsin\\sqrt{\\hat p_{ref}}`; Cliff's :math:`\\delta = P(X_g > X_{ref}) -
    P(X_g < X_{ref})`. Formulas: :mod:`cxstudy.stats`.

    References
    ----------
    Newcombe (1998) Stat Med 17:873; Cliff (1993) Psych Bull 114:494; Holm (1979)
    Scand J Stat 6:65.

    Examples
    --------
    >>> import cxstudy as cx
    >>> study = cx.load_study("studies/example.yml")  # doctest: +SKIP
    >>> responses = cx.clean(cx.read_sources(study), study).responses  # doctest: +SKIP
    >>> cx.gap_table(responses, study).query("item == 'excellent'")  # doctest: +SKIP
    """
    counts = counts if counts is not None else level_counts(responses, study)
    reference, others = study.reference_index, study.other_indices
    items = {i.id: i for i in study.items}
    table = pd.DataFrame(_pair_statistics(counts, others, reference, study.confidence,
                                          study.agreement_margin))
    item_ids = np.tile(counts.items, len(others))
    table.insert(0, "item", item_ids)
    table.insert(1, "text", [items[i].text for i in item_ids])
    table.insert(2, "dimension", [items[i].dimension for i in item_ids])
    table.insert(3, "group", np.repeat([study.groups[g] for g in others], len(counts.items)))
    table.insert(4, "reference", study.reference)
    suppressed = too_small(table["n"], study) | too_small(table["n_ref"], study)
    table["note"] = [_gap_note(*values, study) for values in zip(
        table["n"], table["n_ref"], table.pop("_var"), table.pop("_var_ref"),
        table["cliffs_delta_low"].isna(), strict=True)]
    suppress(table, GAPS, suppressed)
    table["equivalent"] = table["equivalent"].astype(bool) & ~table["suppressed"]
    table["p_adjusted"] = stats.adjust_pvalues(table["p_value"], study.correction)
    table["mw_p_adjusted"] = stats.adjust_pvalues(table["mw_p_value"], study.correction)
    table["p_adjusted_headline"] = adjust_headline(table, study)  # the primary question
    order = {item.id: i for i, item in enumerate(study.items)}
    table = table.sort_values(["item", "group"], key=lambda s: s.map(order) if s.name ==
                              "item" else s.map({g: i for i, g in enumerate(study.groups)}),
                              kind="stable")
    return conform(table.reset_index(drop=True), GAPS)[GAPS.all_columns]


def _pair_statistics(counts: LevelCounts, others: list[int], reference: int,
                     confidence: float, margin: float) -> dict[str, np.ndarray]:
    """Every two-group statistic of each (item, audience) against the reference, from the
    counts: one row per item for the first audience, then the next audience, ..."""
    effective = counts.effective()
    c1 = effective[:, others, :].transpose(1, 0, 2).reshape(-1, effective.shape[-1])
    c2 = np.tile(effective[:, reference, :], (len(others), 1))
    mask = np.tile(counts.top_box_mask(), (len(others), 1))
    values = np.tile(counts.values, (len(others), 1))
    e1, e2 = c1.sum(axis=1), c2.sum(axis=1)
    s1, s2 = (c1 * mask).sum(axis=1), (c2 * mask).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        p1, p2 = s1 / e1, s2 / e2
    low1, high1 = stats.wilson_interval(s1, e1, confidence)
    low2, high2 = stats.wilson_interval(s2, e2, confidence)
    gap_low, gap_high = stats.newcombe_interval(s1, e1, s2, e2, confidence)
    p_value, test = stats.score_test(s1, e1, s2, e2)
    _, mean1, var1 = stats.moments(c1, values)
    _, mean2, var2 = stats.moments(c2, values)
    diff, diff_low, diff_high, _p, _df = stats.welch(mean1, var1, e1, mean2, var2, e2,
                                                      confidence)
    _u, mw_p = stats.mann_whitney(c1, c2)
    delta, delta_low, delta_high, _var = stats.cliffs_delta(c1, c2, confidence)
    # equivalence (two one-sided tests at alpha): the whole (1 - 2 alpha) interval of the
    # gap lies within +-margin
    tost_low, tost_high = stats.newcombe_interval(s1, e1, s2, e2, 1 - 2 * (1 - confidence))
    return {
        "n": counts.n[:, others].T.reshape(-1).astype(int),
        "n_ref": np.tile(counts.n[:, reference], len(others)).astype(int),
        "top_box": p1, "top_box_ref": p2,
        "gap": p1 - p2, "gap_low": gap_low, "gap_high": gap_high,
        "p_value": p_value, "p_adjusted": np.nan, "cohens_h": stats.cohens_h(p1, p2),
        "mean": mean1, "mean_ref": mean2,
        "mean_diff": diff, "mean_diff_low": diff_low, "mean_diff_high": diff_high,
        "cliffs_delta": delta, "cliffs_delta_low": delta_low, "cliffs_delta_high": delta_high,
        "mw_p_value": mw_p, "top_box_low": low1, "top_box_high": high1,
        "top_box_ref_low": low2, "top_box_ref_high": high2,
        "test": test, "mw_p_adjusted": np.nan, "n_eff": e1, "n_ref_eff": e2,
        "equivalence_low": tost_low, "equivalence_high": tost_high,
        "equivalent": (tost_low > -margin) & (tost_high < margin),
        "_var": var1, "_var_ref": var2,
    }


@per_wave
def share_table(responses: pd.DataFrame | None, study: Study, *,
                counts: LevelCounts | None = None) -> pd.DataFrame:
    """Every audience's top-box share and mean per item, the reference included.

    This is what the report's charts draw. Rows below ``min_group_size`` keep ``n``
    but no estimates.

    Parameters
    ----------
    responses : pandas.DataFrame or None
        Cleaned responses (:attr:`CleaningResult.responses`); None when ``counts`` are
        given.
    study : Study
        The study (:func:`~cxstudy.load_study`): audiences, items, ``confidence``,
        ``min_group_size``.
    counts : LevelCounts, optional
        Precomputed :func:`~cxstudy.counts.level_counts` (computed from ``responses`` when
        omitted): the table is made from them alone, its wave theirs.

    Returns
    -------
    pandas.DataFrame
        One row per (item, group): the ``shares.csv`` columns of docs/outputs.md,
        ``item, text, dimension, headline, group, n, top_box, top_box_low,
        top_box_high`` (Wilson), ``mean, suppressed``. In a study with waves, computed
        within each wave and stacked with a ``wave`` column first.

    Notes
    -----
    Top box :math:`\\hat p = x/n`, the (weighted) share answering one of the scale's
    ``top_box`` highest points, with the Wilson interval of
    :func:`~cxstudy.stats.wilson_interval` (Kish's effective n when weighted); the
    mean is over the scale's point values.

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
    inference. Journal of the American Statistical Association 22, 209-212.

    Examples
    --------
    >>> shares = cx.share_table(responses, study)  # doctest: +SKIP
    >>> shares.query("item == 'excellent'")[["group", "n", "top_box"]]  # doctest: +SKIP
    """
    counts = counts if counts is not None else level_counts(responses, study)
    effective = counts.effective()
    top = counts.top_box_mask()
    items = {i.id: i for i in study.items}
    rows = []
    for row, item_id in enumerate(counts.items):
        successes = (effective[row] * top[row]).sum(axis=1)
        totals = effective[row].sum(axis=1)
        low, high = stats.wilson_interval(successes, totals, study.confidence)
        _, mean, _ = stats.moments(effective[row], counts.values[row])
        for g, group in enumerate(study.groups):
            rows.append({
                "item": item_id, "text": items[item_id].text,
                "dimension": items[item_id].dimension, "headline": items[item_id].headline,
                "group": group, "n": int(counts.n[row, g]),
                "top_box": successes[g] / totals[g] if totals[g] > 0 else np.nan,
                "top_box_low": low[g], "top_box_high": high[g], "mean": mean[g]})
    order = {item.id: i for i, item in enumerate(study.items)}
    table = pd.DataFrame(rows, columns=[c for c in SHARES.columns if c != "suppressed"])
    suppress(table, SHARES, too_small(table["n"], study))
    return table.sort_values("item", key=lambda s: s.map(order), kind="stable").reset_index(
        drop=True)


def _gap_note(n1, n2, var1, var2, no_delta_interval, study: Study) -> str:
    if too_small(min(n1, n2), study):
        return study.suppression_note(min(n1, n2))
    reasons = []
    if (var1 == 0 or np.isnan(var1)) and (var2 == 0 or np.isnan(var2)):
        reasons.append("no variance in either group: no mean-difference interval")
    if no_delta_interval:
        reasons.append("Cliff's delta interval undefined (variance estimate not positive)")
    return "; ".join(reasons)


# ---------------------------------------------------------------------------
# dimensions


def _dimension_values(study: Study, members) -> tuple[list[np.ndarray], str]:
    """Per item, the value of codes 0..k (NaN for 0 = missing), on a common footing.

    Items on different scales are put on 0-100 first (:math:`100(x - min)/(max - min)`);
    otherwise values stay in the scale's units.
    """
    scales = [study.scales[i.scale] for i in members]
    common = len({s.id for s in scales}) == 1
    lookups = []
    for scale in scales:
        values = np.array([np.nan, *scale.point_values])
        if not common:
            low, high = scale.point_values[0], scale.point_values[-1]
            values = 100 * (values - low) / (high - low)
        lookups.append(values)
    units = scale_units(scales[0]) if common else "0-100"
    return lookups, units


def scale_units(scale) -> str:
    """The units of a score on one scale, as a reader reads them (never the scale's id):
    "scale points, 1 = Strongly disagree to 5 = Strongly agree", or "scale points, 0 to
    10" for a scale of numbers."""
    from .scales import number_text

    low, high = scale.point_values[0], scale.point_values[-1]
    first, last = scale.point_names[0], scale.point_names[-1]
    if scale.labels is None:
        return f"scale points, {number_text(low)} to {number_text(high)}"
    return (f"scale points, {number_text(low)} = {first} to {number_text(high)} = "
            f"{last}")


def dimension_scores(responses: pd.DataFrame, study: Study) -> tuple[pd.DataFrame, dict]:
    """Each respondent's score on each dimension: the mean of its items, when at least
    half of them are answered (else missing).

    Items on different scales are put on a common 0-100 footing first
    (:math:`100(x - min)/(max - min)`); otherwise scores are in the scale's units.
    Dimensions none of whose items are in ``responses`` are left out.

    Parameters
    ----------
    responses : pandas.DataFrame
        Cleaned responses (:attr:`CleaningResult.responses`).
    study : Study
        The study (:func:`~cxstudy.load_study`): its items, their dimensions and
        scales.

    Returns
    -------
    scores : pandas.DataFrame
        One row per respondent (``responses``' index), one float column per dimension;
        NaN where fewer than half of the dimension's items are answered.
    units : dict of str to str
        Dimension -> units of its scores: ``"scale points, 1 = <first label> to 5 = <last
        label>"`` (:func:`scale_units`) or ``"0-100"``.

    Examples
    --------
    >>> scores, units = cx.dimension_scores(responses, study)  # doctest: +SKIP
    >>> units["Quality"]  # doctest: +SKIP
    'scale points, 1 = Strongly disagree to 5 = Strongly agree'
    """
    scores, units = {}, {}
    for dimension in study.dimensions:
        members = [i for i in study.items if i.dimension == dimension and i.id in responses]
        if not members:
            continue
        lookups, units[dimension] = _dimension_values(study, members)
        block = np.column_stack([lookup[item_codes(responses, item.id)]
                                 for item, lookup in zip(members, lookups, strict=True)])
        scores[dimension] = _mean_of_half(block)
    return pd.DataFrame(scores, index=responses.index), units


def _mean_of_half(block: np.ndarray) -> np.ndarray:
    """Row means over answered columns where at least half are answered."""
    answered = np.count_nonzero(~np.isnan(block), axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nansum(block, axis=1) / answered
    return np.where((answered * 2 >= block.shape[1]) & (answered > 0), mean, np.nan)


@per_wave
def dimension_gaps(responses: pd.DataFrame | None, study: Study, *,
                   counts: LevelCounts | None = None) -> pd.DataFrame:
    """Dimension scores per audience vs the reference, with Cronbach's alpha.

    One row per (dimension, group != reference): ``n`` respondents with a score,
    their (weighted) mean score, the Welch interval and p of the difference from
    the reference, the study's correction (Holm by default) over the table, and
    Cronbach's alpha of the audience's answers to the dimension's items, with
    Feldt's interval, and of the reference's.

    Parameters
    ----------
    responses : pandas.DataFrame or None
        Cleaned responses (:attr:`CleaningResult.responses`); None when ``counts`` are
        given.
    study : Study
        The study (:func:`~cxstudy.load_study`): audiences, reference, items and their
        dimensions, ``confidence``, ``correction``, ``min_group_size``.
    counts : LevelCounts, optional
        Precomputed :func:`~cxstudy.counts.level_counts` (computed from ``responses`` when
        omitted); its pattern tables give scores and covariances without another pass
        over the respondents, the table's wave theirs.

    Returns
    -------
    pandas.DataFrame
        Columns of ``dimension_gaps.csv`` (docs/outputs.md) then ``items, units,
        alpha_ref_low, alpha_ref_high, mean_diff_se, note``. Rows below
        ``min_group_size`` keep ``n`` and ``n_ref`` but no estimates. In a study with
        waves, computed within each wave and stacked with a ``wave`` column first.

    Notes
    -----
    A respondent's score is the mean of the dimension's items when at least half
    are answered (:func:`dimension_scores`). Alpha uses every respondent of the
    audience who answered at least one of the items, with pairwise-complete
    covariances (R ``psych::alpha(use="pairwise")``, pingouin's default):
    :math:`\\alpha = \\frac{k}{k-1}(1 - \\sum_i \\sigma_i^2 / \\sum_{ij}\\sigma_{ij})`.
    The difference is Welch's: :math:`\\bar x_g - \\bar x_{ref} \\pm t_\\nu
    \\sqrt{s_g^2/n_g + s_{ref}^2/n_{ref}}` (Kish's effective n when weighted).

    Everything comes from the dimension's joint pattern table: its block of ``counts``,
    or, for a dimension too wide for one dense block (whose items the margins split
    across blocks), the sparse joint table :attr:`LevelCounts.wide` of the patterns
    given; never from the respondents' rows.

    References
    ----------
    Cronbach (1951) Psychometrika 16:297; Feldt (1965) Psychometrika 30:357;
    Welch (1947) Biometrika 34:28.

    Examples
    --------
    >>> cx.dimension_gaps(responses, study)[["dimension", "group", "alpha"]]  # doctest: +SKIP
    """
    counts = counts if counts is not None else level_counts(responses, study)
    reference, others = study.reference_index, study.other_indices
    rows = []
    for dimension in study.dimensions:
        members = [i for i in study.items if i.dimension == dimension and i.id in counts.items]
        if not members:
            continue
        lookups, units = _dimension_values(study, members)
        block = counts.block_of([i.id for i in members]) or _joint_table(
            responses, study, members, counts, dimension)
        summary = _summaries_from_patterns(block, members, lookups, counts, study)
        ref = summary[reference]
        for g in others:
            mine = summary[g]
            diff, low, high, p_value, _df = stats.welch(
                mine["mean"], mine["var"], mine["n_eff"], ref["mean"], ref["var"],
                ref["n_eff"], study.confidence)
            rows.append({
                "dimension": dimension, "group": study.groups[g], "reference": study.reference,
                "n": mine["n"], "n_ref": ref["n"],
                "alpha": mine["alpha"][0], "alpha_low": mine["alpha"][1],
                "alpha_high": mine["alpha"][2], "alpha_ref": ref["alpha"][0],
                "mean": mine["mean"], "mean_ref": ref["mean"], "mean_diff": float(diff),
                "mean_diff_low": float(low), "mean_diff_high": float(high),
                "p_value": float(p_value), "p_adjusted": np.nan,
                "items": len(members), "units": units,
                "mean_diff_se": float(np.sqrt(mine["var"] / mine["n_eff"]
                                              + ref["var"] / ref["n_eff"]))
                if mine["n_eff"] > 0 and ref["n_eff"] > 0 else np.nan,
                "alpha_ref_low": ref["alpha"][1], "alpha_ref_high": ref["alpha"][2],
                "note": _dimension_note(mine, ref, len(members), study),
            })
    table = pd.DataFrame(rows, columns=DIMENSIONS.all_columns)
    if table.empty:
        return table
    suppress(table, DIMENSIONS, too_small(table["n"], study) | too_small(table["n_ref"], study))
    table["p_adjusted"] = stats.adjust_pvalues(table["p_value"], study.correction)
    return table


def _summaries_from_patterns(block, members, lookups, counts: LevelCounts,
                             study: Study) -> dict[int, dict]:
    """Score moments and alpha of every group from one pattern table."""
    positions = [block.items.index(i.id) for i in members]
    patterns = block.patterns[:, positions]
    values = np.column_stack([lookup[patterns[:, j]] for j, lookup in enumerate(lookups)])
    score = _mean_of_half(values)
    scored = ~np.isnan(score)
    answered_any = (patterns > 0).any(axis=1)
    summary = {}
    for g in range(len(study.groups)):
        weights = block.counts[g]
        squares = block.squares[g] if counts.weighted else None
        summary[g] = stats.weighted_moments(score[scored], weights[scored],
                                            block.raw[g][scored],
                                            None if squares is None else squares[scored])
        in_alpha = answered_any & (block.raw[g] > 0)
        summary[g]["alpha"] = _alpha(values[in_alpha], weights[in_alpha],
                                     block.raw[g][in_alpha],
                                     None if squares is None else squares[in_alpha],
                                     study.confidence)
    return summary


def _joint_table(responses: pd.DataFrame | None, study: Study, members: list,
                 counts: LevelCounts, dimension: str) -> PatternCounts:
    """The joint pattern table of a dimension's items that ``counts`` lack (counts made
    without :attr:`LevelCounts.wide`, as :mod:`cxstudy.warehouse` makes them): counted
    from the responses when given, else an error saying what to do."""
    if responses is None:
        raise ValueError(
            f"dimension {dimension!r}: its items are split across the counts' pattern "
            "tables and the counts hold no joint table of them (LevelCounts.wide), which "
            "its scores and Cronbach's alpha need; count with cx.level_counts, which "
            "makes it, or give the responses")
    ids = [i.id for i in members]
    weights, weighted = respondent_weights(responses)
    return sparse_pattern_counts([item_codes(responses, i) for i in ids], ids,
                                 [study.scales[i.scale].k for i in members],
                                 group_codes(responses, study.groups), len(study.groups),
                                 weights if weighted else None)


def _alpha(values, weights, raw, squares, confidence) -> tuple[float, float, float]:
    if values.shape[1] < 2:
        return (np.nan, np.nan, np.nan)
    cov = stats.pairwise_cov(values, weights, squares)
    n = float(raw.sum()) if squares is None else stats.effective_n(weights.sum(), squares.sum())
    return stats.cronbach_alpha_from_cov(cov, n, confidence)


def _dimension_note(mine, ref, n_items, study: Study) -> str:
    if too_small(min(mine["n"], ref["n"]), study):
        return study.suppression_note(min(mine["n"], ref["n"]))
    if n_items < 2:
        return "one item: no Cronbach's alpha"
    return ""


# ---------------------------------------------------------------------------
# three audiences at once


@per_wave
def kruskal_table(responses: pd.DataFrame | None, study: Study, *,
                  counts: LevelCounts | None = None) -> pd.DataFrame:
    """Kruskal-Wallis test across all audiences, per item (tie-corrected, from counts).

    Audiences below ``min_group_size`` are left out of the test; with fewer than two
    left, the row is suppressed.

    Parameters
    ----------
    responses : pandas.DataFrame or None
        Cleaned responses (:attr:`CleaningResult.responses`); None when ``counts`` are
        given.
    study : Study
        The study (:func:`~cxstudy.load_study`): audiences, items, ``correction``,
        ``min_group_size``.
    counts : LevelCounts, optional
        Precomputed :func:`~cxstudy.counts.level_counts` (computed from ``responses`` when
        omitted): the table is made from them alone, its wave theirs.

    Returns
    -------
    pandas.DataFrame
        One row per item: ``item, text, dimension, n`` (all audiences), one
        ``n_<group>`` column per audience, ``h, df, p_value, p_adjusted, suppressed``
        (``kruskal.csv`` in docs/outputs.md). In a study with waves, computed within
        each wave and stacked with a ``wave`` column first.

    Notes
    -----
    H is :func:`~cxstudy.stats.kruskal_wallis` on the (effective) counts,

    .. math:: H = \\frac{\\frac{12}{N(N+1)}\\sum_g R_g^2/n_g - 3(N+1)}
              {1 - \\sum_l (t_l^3 - t_l)/(N^3 - N)}

    with p from :math:`\\chi^2` with (audiences - 1) df; ``p_adjusted`` uses the
    study's correction over the table.

    References
    ----------
    Kruskal, W. H. & Wallis, W. A. (1952). Use of ranks in one-criterion variance
    analysis. Journal of the American Statistical Association 47, 583-621.

    Examples
    --------
    >>> cx.kruskal_table(responses, study)[["item", "h", "df", "p_adjusted"]]  # doctest: +SKIP
    """
    counts = counts if counts is not None else level_counts(responses, study)
    effective = counts.effective().copy()
    small = too_small(counts.n, study)
    effective[small] = 0.0
    h, df, p_value = stats.kruskal_wallis(effective)
    items = {i.id: i for i in study.items}
    table = pd.DataFrame({
        "item": list(counts.items),
        "text": [items[i].text for i in counts.items],
        "dimension": [items[i].dimension for i in counts.items],
        "n": counts.n.sum(axis=1).astype(int),
        **{f"n_{g}": counts.n[:, j].astype(int) for j, g in enumerate(study.groups)},
        "h": h, "df": df, "p_value": p_value, "p_adjusted": np.nan,
    })
    suppress(table, KRUSKAL, (~small).sum(axis=1) < 2)
    table["p_adjusted"] = stats.adjust_pvalues(table["p_value"], study.correction)
    return table


@per_wave
def perception_gap_index(responses: pd.DataFrame | None, study: Study, *, n_boot: int = 4000,
                         seed: int = 20261122, counts: LevelCounts | None = None
                         ) -> pd.DataFrame:
    """The perception-gap index of each audience: the mean absolute top-box gap to the
    reference across items, with a seeded bootstrap interval.

    Parameters
    ----------
    responses : pandas.DataFrame or None
        Cleaned responses (:attr:`CleaningResult.responses`); None when ``counts`` are
        given.
    study : Study
        The study (:func:`~cxstudy.load_study`): audiences, reference, items,
        ``confidence``, ``min_group_size``.
    n_boot : int, default 4000
        Bootstrap draws.
    seed : int, default 20261122
        Seed of the bootstrap's random generator (numpy's ``default_rng``, PCG64): the
        same seed and counts, the same interval.
    counts : LevelCounts, optional
        Precomputed :func:`~cxstudy.counts.level_counts` (computed from ``responses`` when
        omitted): the index and its bootstrap are made from them alone (their top-box
        pattern table :attr:`LevelCounts.top`), the table's wave theirs.

    Returns
    -------
    pandas.DataFrame
        One row per audience other than the reference: ``group, reference, items,
        index, index_low, index_high, n_boot`` (``perception_gap_index.csv`` in
        docs/outputs.md); ``items`` is the number of items in the index. In a study
        with waves, computed within each wave and stacked with a ``wave`` column first.

    Notes
    -----
    :math:`PGI_g = \\frac{1}{m}\\sum_{i=1}^m |\\hat p_{gi} - \\hat p_{ref,i}|` over the
    items both audiences answered (and not suppressed).

    The interval is a percentile bootstrap that resamples respondents within each
    audience, made from counts: a respondent's top-box states over every item (missing,
    not top box, top box) form one *pattern*, and resampling :math:`n_g` respondents
    with replacement is drawing the pattern counts from a multinomial
    :math:`(n_g; \\pi_{g1}, \\dots, \\pi_{gu})` over the :math:`u` patterns the audience
    gave, :math:`\\pi_{gj}` the share of the audience giving pattern :math:`j`. Each
    replicate's shares are the resampled top-box counts over the resampled answers of
    each item, and the index is recomputed from them (mean over items of the absolute
    differences, items without answers in a replicate left out). So the correlation
    between items is kept, and the cost depends on the patterns, not the respondents.

    Weighted: :math:`\\pi_{gj}` are the weighted shares of the patterns and
    :math:`n_g` is the audience's Kish effective n, :math:`(\\sum w)^2 / \\sum w^2`,
    rounded: the weighted estimate with the spread of an effective sample.

    Random stream (changed in issue 29 from a normal approximation of the shares):
    ``numpy.random.default_rng(seed)``; the reference's replicates first, then each other
    audience's in the study's order, over its patterns in sorted order, in chunks of
    replicates. An audience with more than :data:`DRAWS_PER_PATTERN` respondents per
    pattern draws each replicate's counts with ``rng.multinomial(n_g, pi_g)``; a smaller
    one draws its :math:`n_g` respondents' patterns one by one and bins them: unweighted,
    ``rng.integers(0, n_g)`` picks one of its respondents (their patterns in sorted
    order); weighted, ``rng.random`` is placed against the cumulative :math:`\\pi_g`.
    The same multinomial, cheaper where most respondents give their own pattern. An
    audience without respondents draws nothing.
    ``tests/test_gaps.py`` checks the distribution, on each path, against resampling
    the respondents' rows.

    References
    ----------
    Efron, B. & Tibshirani, R. J. (1993). An Introduction to the Bootstrap. New York:
    Chapman & Hall (the percentile interval).
    Kish, L. (1965). Survey Sampling. New York: Wiley (the effective sample size).

    Examples
    --------
    >>> cx.perception_gap_index(responses, study, n_boot=2000, seed=1)  # doctest: +SKIP
    """
    counts = counts if counts is not None else level_counts(responses, study)
    top = counts.top
    if top is None:  # counts made without the top-box patterns (cxstudy.warehouse)
        if responses is None:
            raise ValueError("the perception-gap index's bootstrap needs the top-box "
                             "pattern table of the counts (LevelCounts.top), which these "
                             "counts lack; count with cx.level_counts, or give the "
                             "responses")
        top = level_counts(responses, study, items=list(counts.items)).top
    if top is not None and top.items != counts.items:
        raise ValueError(f"the counts' top-box patterns are of items {top.items}, their "
                         f"margins of {counts.items}: count both with cx.level_counts")
    reference, others = study.reference_index, study.other_indices
    usable = ~too_small(counts.n, study)
    rng = np.random.default_rng(seed)
    tail = (1 - study.confidence) / 2
    effective = counts.effective()
    mask = counts.top_box_mask()
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = (effective * mask[:, None, :]).sum(axis=-1) / effective.sum(axis=-1)
    draws = {}
    with threadpool_limits(limits=1, user_api="blas"):  # small matrices: threads cost more
        for g in [reference, *others]:
            draws[g] = _bootstrap_shares(top, g, n_boot, rng) if top is not None else \
                np.full((n_boot, 0), np.nan)
    rows = []
    for g in others:
        use = usable[:, g] & usable[:, reference]
        index = float(np.mean(np.abs(shares[use, g] - shares[use, reference]))) \
            if use.any() else np.nan
        boot = np.array([np.nan])
        if use.any():
            with np.errstate(invalid="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # a replicate without answers
                boot = np.nanmean(np.abs(draws[g][:, use] - draws[reference][:, use]), axis=1)
        low, high = (np.nanquantile(boot, [tail, 1 - tail]) if np.isfinite(boot).any()
                     else (np.nan, np.nan))
        rows.append({"group": study.groups[g], "reference": study.reference,
                     "items": int(use.sum()), "index": index,
                     "index_low": float(low) if use.any() else np.nan,
                     "index_high": float(high) if use.any() else np.nan,
                     "n_boot": n_boot})
    return pd.DataFrame(rows)


BOOTSTRAP_CELLS = 1 << 16
"""Replicates x patterns (or x draws) made at once by :func:`_bootstrap_shares` (memory,
not results: the draws are the same however they are chunked)."""

DRAWS_PER_PATTERN = 8
"""An audience of at most this many respondents per pattern it gave has its pattern
counts drawn respondent by respondent (uniforms binned by the cumulative shares); a
larger one by ``rng.multinomial``. Both draw the same multinomial; the first is the
cheaper where most respondents give their own pattern, the second where many share one."""


def _bootstrap_shares(top: PatternCounts, g: int, n_boot: int,
                      rng: np.random.Generator) -> np.ndarray:
    """(n_boot, items): each replicate's top-box share of every item for audience ``g``,
    from a multinomial draw of its pattern counts (see :func:`perception_gap_index`)."""
    given = top.raw[g] > 0
    if not given.any():
        return np.full((n_boot, len(top.items)), np.nan)
    patterns = top.observed[given]
    mass = top.counts[g][given]
    if top.squares is None:
        size = int(top.raw[g][given].sum())
    else:  # Kish's effective n of the audience
        size = max(int(np.rint(mass.sum() ** 2 / top.squares[g][given].sum())), 1)
    p = mass / mass.sum()
    is_top = (patterns == 2).astype(float)
    answered = (patterns > 0).astype(float)
    one_by_one = size <= DRAWS_PER_PATTERN * len(p)
    cumulative = np.cumsum(p)
    # unweighted: the pattern of each respondent, so that a draw is one of them
    respondents = np.repeat(np.arange(len(p)), top.raw[g][given]) \
        if one_by_one and top.squares is None else None
    shares = np.empty((n_boot, len(top.items)))
    chunk = max(1, BOOTSTRAP_CELLS // (size if one_by_one else len(p)))
    for start in range(0, n_boot, chunk):
        stop = min(start + chunk, n_boot)
        if one_by_one:
            if respondents is not None:  # each draw one of the respondents
                which = respondents[rng.integers(0, size, (stop - start, size))]
            else:  # each draw a uniform against the cumulative weighted shares
                which = np.minimum(np.searchsorted(
                    cumulative, rng.random((stop - start, size)) * cumulative[-1],
                    side="right"), len(p) - 1)
            which += np.arange(stop - start)[:, None] * len(p)
            drawn = np.bincount(which.ravel(), minlength=(stop - start) * len(p)).reshape(
                stop - start, len(p)).astype(float)
        else:
            drawn = rng.multinomial(size, p, size=stop - start).astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            shares[start:stop] = (drawn @ is_top) / (drawn @ answered)
    return shares


@per_wave_table
def blind_spots(gaps: pd.DataFrame, study: Study, *, top: int = 5) -> pd.DataFrame:
    """Items where leadership or staff sit furthest above the reference audience.

    From a :func:`gap_table`: per audience, the ``top`` items with the largest
    positive gap, keeping the interval and adjusted p; ``significant`` says whether
    the adjusted p is below ``1 - confidence``. Suppressed rows are left out.

    Parameters
    ----------
    gaps : pandas.DataFrame
        A :func:`gap_table` (with a ``wave`` column: blind spots within each wave).
    study : Study
        The study (:func:`~cxstudy.load_study`): its audiences' order, ``confidence``
        and waves.
    top : int, default 5
        Items kept per audience.

    Returns
    -------
    pandas.DataFrame
        ``group, rank, item, text, dimension, n, n_ref, top_box, top_box_ref, gap,
        gap_low, gap_high, p_adjusted, significant`` (``blind_spots.csv`` in
        docs/outputs.md), ranked from 1 within each audience; with a ``wave`` column
        first when ``gaps`` has one.

    Examples
    --------
    >>> cx.blind_spots(cx.gap_table(responses, study), study, top=3)  # doctest: +SKIP
    """
    alpha = 1 - study.confidence
    usable = gaps[~gaps["suppressed"].astype(bool) & (gaps["gap"] > 0)]
    ranked = (usable.sort_values(["group", "gap"], ascending=[True, False])
              .groupby("group", sort=False).head(top).copy())
    ranked["rank"] = ranked.groupby("group").cumcount() + 1
    ranked["significant"] = ranked["p_adjusted"] < alpha
    order = {g: i for i, g in enumerate(study.groups)}
    ranked = ranked.sort_values(["group", "rank"], key=lambda s: s.map(order)
                                if s.name == "group" else s)
    return ranked[["group", "rank", "item", "text", "dimension", "n", "n_ref", "top_box",
                   "top_box_ref", "gap", "gap_low", "gap_high", "p_adjusted",
                   "significant"]].reset_index(drop=True)


# ---------------------------------------------------------------------------
# agreement: which items every audience that answered them agrees on


def agreement(gaps: pd.DataFrame, study: Study) -> pd.DataFrame:
    """Per item, whether the audiences that answered it agree with the reference, in the
    sense of equivalence, and which audiences that covers.

    An audience with no answers to an item (not asked it, or every answer blank) is left
    out of that item: it neither blocks nor supports agreement. An item is *agreed* when
    at least one audience is compared and, for every audience that answered it, the gap's
    whole :math:`1 - 2\\alpha` interval lies within :math:`\\pm` ``agreement_margin``
    (``equivalent`` in :func:`gap_table`). An audience that answered but is too few to show
    (fewer than ``min_group_size``) cannot be shown to agree, so it keeps the item from
    being agreed; so does a reference with no answers or too few (nothing to compare with).

    Parameters
    ----------
    gaps : pandas.DataFrame
        A :func:`gap_table` (with a ``wave`` column: decided within each wave).
    study : Study
        The study (:func:`~cxstudy.load_study`): audiences, ``min_group_size``,
        ``confidence`` and ``agreement_margin``.

    Returns
    -------
    pandas.DataFrame
        One row per item (per wave and item when ``gaps`` has a ``wave`` column), in the
        study's order: ``item, text, compared`` (the audiences that answered and are shown,
        as a tuple of ids in the study's order), ``no_answers`` (those that gave no
        answers), ``too_few`` (those that answered but fewer than ``min_group_size``),
        ``reference_n``, ``agreed`` (bool) and ``significant`` (the compared audiences
        whose gap is also significant after the correction: agreed but detectably
        different from zero, i.e. a difference smaller than the margin).

    Notes
    -----
    Two one-sided tests (Schuirmann 1987) at level :math:`\\alpha = 1 -` ``confidence``
    reject both :math:`H_0: \\Delta \\le -m` and :math:`H_0: \\Delta \\ge m` exactly when
    the :math:`1 - 2\\alpha` interval of :math:`\\Delta` lies within :math:`(-m, m)`; the
    interval is Newcombe's hybrid score interval of the difference of two proportions.
    Significance and equivalence answer different questions: with large samples a gap
    of 3 points can be both significantly different from zero and within a margin of 10.

    References
    ----------
    Schuirmann, D. J. (1987). A comparison of the two one-sided tests procedure and the
    power approach for assessing the equivalence of average bioavailability. Journal of
    Pharmacokinetics and Biopharmaceutics 15(6), 657-680.

    Examples
    --------
    >>> cx.agreement(cx.gap_table(responses, study), study).query("agreed")  # doctest: +SKIP
    """
    alpha = 1 - study.confidence
    keys = ["wave", "item"] if "wave" in gaps.columns else ["item"]
    order = {g: i for i, g in enumerate(study.groups)}
    rows = []
    for key, part in gaps.groupby(keys, sort=False):
        n = part["n"].to_numpy()
        shown = ~part["suppressed"].astype(bool).to_numpy()
        groups = part["group"].to_numpy()

        def ordered(mask, groups=groups) -> tuple[str, ...]:
            return tuple(sorted(groups[mask], key=order.get))

        reference_n = int(part["n_ref"].max()) if len(part) else 0
        reference_shown = reference_n >= study.min_group_size
        too_few = (n > 0) & too_small(n, study)
        compared = shown & (n > 0)  # shown: neither the audience nor the reference too few
        agreed = bool(reference_shown and compared.any() and not too_few.any()
                      and part["equivalent"].astype(bool).to_numpy()[compared].all())
        significant = compared & (part["p_adjusted"].to_numpy(dtype=float) < alpha)
        rows.append({**dict(zip(keys, key if isinstance(key, tuple) else (key,),
                                strict=True)),
                     "text": part["text"].iloc[0],
                     "compared": ordered(compared) if reference_shown else (),
                     "no_answers": ordered(n == 0),
                     "too_few": ordered(too_few),
                     "reference_n": reference_n, "agreed": agreed,
                     "significant": ordered(significant) if agreed else ()})
    columns = [*keys, "text", "compared", "no_answers", "too_few", "reference_n", "agreed",
               "significant"]
    return pd.DataFrame(rows, columns=columns)
