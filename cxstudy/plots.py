"""Report figures (matplotlib/seaborn). Each function returns a Figure whose
``cx_alt`` attribute is a text alternative stating what the figure shows, numbers
included; :func:`cxstudy.report.notebook_setup` makes ``plt.show()`` publish it as
the image's alt text.

Every estimate is drawn with its interval, and every audience is labelled with its
n; audiences below ``min_group_size`` are left out and the caption says so.
"""

from __future__ import annotations

import functools
import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from cycler import cycler
from matplotlib.colors import LinearSegmentedColormap, to_rgb
from matplotlib.figure import Figure

from . import voices
from .counts import LevelCounts
from .model import Study
from .tables import too_small

# Okabe-Ito: distinguishable with every common colour-vision deficiency.
AUDIENCE_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00"]
NEGATIVE, NEUTRAL, POSITIVE = "#B2182B", "#BDBDBD", "#2166AC"


# What seaborn's set_theme(context="notebook", style="whitegrid") sets, its "deep" colour
# cycle included, written out: a page then need not import seaborn, and scipy with it
# (half a second in every page's kernel). tests/test_plots.py checks it against seaborn.
# Left out: seaborn's default colour map for images ("rocket"), which only seaborn
# defines; every image here names its own.
SEABORN_WHITEGRID = {
    "axes.axisbelow": True, "axes.edgecolor": ".8", "axes.facecolor": "white",
    "axes.grid": True, "axes.labelcolor": ".15", "axes.labelsize": 12, "axes.linewidth": 1.25,
    "axes.spines.bottom": True, "axes.spines.left": True, "axes.spines.right": True,
    "axes.spines.top": True, "axes.titlesize": 12, "figure.facecolor": "white",
    "font.family": ["sans-serif"],
    "font.sans-serif": ["Arial", "DejaVu Sans", "Liberation Sans", "Bitstream Vera Sans",
                        "sans-serif"],
    "font.size": 12, "grid.color": ".8", "grid.linestyle": "-", "grid.linewidth": 1,
    "legend.fontsize": 11, "legend.title_fontsize": 12, "lines.linewidth": 1.5,
    "lines.markersize": 6, "lines.solid_capstyle": "round", "patch.edgecolor": "w",
    "patch.force_edgecolor": True, "patch.linewidth": 1, "text.color": ".15",
    "xtick.bottom": False, "xtick.color": ".15", "xtick.direction": "out",
    "xtick.labelsize": 11, "xtick.major.size": 6, "xtick.major.width": 1.25,
    "xtick.minor.size": 4, "xtick.minor.width": 1, "xtick.top": False, "ytick.color": ".15",
    "ytick.direction": "out", "ytick.labelsize": 11, "ytick.left": False,
    "ytick.major.size": 6, "ytick.major.width": 1.25, "ytick.minor.size": 4,
    "ytick.minor.width": 1, "ytick.right": False,
    "axes.prop_cycle": cycler(color=[to_rgb(c) for c in (
        "#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3", "#8c8c8c",
        "#ccb974", "#64b5cd")]),
}


# the report's own settings over seaborn's
REPORT_STYLE = {
    "figure.dpi": 110, "savefig.dpi": 110, "axes.titlesize": 13, "axes.titleweight": "bold",
    "axes.labelsize": 11, "legend.frameon": False, "axes.spines.top": False,
    "axes.spines.right": False, "figure.constrained_layout.use": True,
    "text.parse_math": False}


def style() -> None:
    """The report's matplotlib style: readable sizes, no chart junk."""
    plt.rcParams.update({**SEABORN_WHITEGRID, **REPORT_STYLE})


def blend(colours: list[str], n: int) -> list[tuple[float, float, float]]:
    """``n`` colours running evenly through ``colours`` (as seaborn's blend_palette)."""
    ramp = LinearSegmentedColormap.from_list("blend", colours)
    return [tuple(float(c) for c in rgba[:3]) for rgba in ramp(np.linspace(0, 1, int(n)))]


def _literal_text(function):
    """Text in our figures is the study's and respondents' text, shown as written: "$50 and
    over $100" is no formula (matplotlib fixes this per text when the text is made)."""
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with plt.rc_context({"text.parse_math": False}):
            return function(*args, **kwargs)
    return wrapper


def audience_colours(study: Study) -> dict[str, str]:
    return {g: AUDIENCE_COLOURS[i % len(AUDIENCE_COLOURS)] for i, g in enumerate(study.groups)}


def _wrap(text: str, width: int = 38) -> str:
    """Lines of at most ``width`` characters, broken between words only ("reverse-scored"
    stays whole)."""
    return "\n".join(textwrap.wrap(str(text), width, break_on_hyphens=False)) or str(text)


def _pct(value: float) -> str:
    return "–" if pd.isna(value) else f"{100 * value:.0f}%"


def _fixed_layout(fig: Figure, labels: list[str], fontsize: float, *,
                  bottom: float = 0.95, top: float = 0.45, right: float = 0.45) -> None:
    """Margins (inches) from the longest y label, instead of constrained layout, which
    costs a third of the drawing time of a figure with many labels."""
    longest = max((len(line) for label in labels for line in str(label).split("\n")),
                  default=10)
    left = 0.2 + longest * fontsize * 0.55 / 72
    width, height = fig.get_size_inches()
    fig.subplots_adjust(left=min(left / width, 0.5), right=1 - right / width,
                        bottom=min(bottom / height, 0.45), top=1 - top / height)


def _fitting_legend(fig: Figure, ncol: int, **kwargs):
    """``fig.legend`` in at most ``ncol`` columns, as many as fit in the figure's width
    (measured by the renderer): a legend of many audiences or long names wraps into
    rows instead of running off both sides of the figure."""
    renderer = fig.canvas.get_renderer()
    for columns in range(max(1, int(ncol)), 0, -1):
        legend = fig.legend(ncol=columns, **kwargs)
        if columns == 1 or legend.get_window_extent(renderer).width <= 0.98 * fig.bbox.width:
            legend.cx_columns = columns
            return legend
        legend.remove()
    return None  # unreachable: one column is always kept


def _legend_below(fig: Figure, ncol: int, **kwargs) -> float:
    """A legend at the bottom of a figure laid out by hand (``layout="none"``), in as many
    rows as its width needs (:func:`_fitting_legend`). The margins leave room for one
    row; each further row makes the figure taller by its height, the plotting area keeping
    its size. Returns the inches added."""
    legend = _fitting_legend(fig, ncol, loc="lower center", bbox_to_anchor=(0.5, 0.0),
                             **kwargs)
    entries = len(legend.get_texts())
    rows = -(-entries // legend.cx_columns)
    if rows <= 1:
        return 0.0
    tall = legend.get_window_extent(fig.canvas.get_renderer()).height / fig.dpi
    extra = tall * (rows - 1) / rows
    width, height = fig.get_size_inches()
    pars = fig.subplotpars
    bottom, top = pars.bottom * height + extra, (1 - pars.top) * height
    fig.set_size_inches(width, height + extra)
    fig.subplots_adjust(bottom=bottom / (height + extra), top=1 - top / (height + extra))
    return extra


def _spread(values):
    """Interval half-widths for error bars: never negative (rounding at 0% or 100%)."""
    return np.clip(np.asarray(values, dtype=float), 0, None)


def _item_text(study: Study, item: str, text: str | None = None) -> str:
    """An item's text on a chart of its shares or gaps: a reverse-scored item says which
    answers its share counts (:func:`cxstudy.report.wording.item_label`)."""
    from .report.wording import item_label

    return item_label(study, item, text, counted=True)


def _alt(fig: Figure, text: str) -> Figure:
    fig.cx_alt = text
    return fig


SHARE_ROW = 0.2  # inches an audience's dot takes in an item's row of a share chart
SHARE_AXES_MIN = 1.2  # inches: the least height of a share chart's plotting area


def _n_label(n_values: pd.Series) -> str:
    n_values = n_values.dropna().astype(int)
    if not len(n_values):
        return "0"
    return (f"{n_values.min():,}" if n_values.min() == n_values.max()
            else f"{n_values.min():,}–{n_values.max():,}")


@_literal_text
def share_dots(shares: pd.DataFrame, study: Study, *, title: str, note: str = "",
               xlabel: str | None = None) -> Figure:
    """Top-box share of every audience per item, with intervals (a dot plot).

    ``shares`` is (a subset of) :func:`cxstudy.share_table`. Several items: one row per
    item, each audience a dot in it, a legend naming the audiences. One item (a headline
    item): one row per audience, named by it with its n, and the item named once, in the
    title. Every row is drawn whole inside the axes (``ylim`` half a row beyond the first
    and the last), and the plotting area is never shorter than ``SHARE_AXES_MIN``. An item
    with ``reverse: true`` is labelled with the answers its share counts ("…
    (reverse-scored: share who disagree)"), and when every item drawn is one the axis says
    so.
    """
    colours = audience_colours(study)
    items = list(dict.fromkeys(shares["item"]))
    texts = shares.drop_duplicates("item").set_index("item")["text"]
    flipped = []
    if "dimension" in shares:  # the items' share table (not themes' or options' shares)
        texts = pd.Series({i: _item_text(study, i, t) for i, t in texts.items()})
        flipped = [i for i in items if any(x.id == i and x.reverse for x in study.items)]
    groups = list(study.groups)
    single = len(items) == 1
    fontsize = plt.rcParams["ytick.labelsize"]
    fontsize = fontsize if isinstance(fontsize, int | float) else 10.5
    alt_parts = []
    n_labels = {g: _n_label(shares.loc[shares["group"] == g, "n"]) for g in groups}
    if single:
        item = items[0]
        marked, named = str(texts[item]).strip(), str(title).strip()
        # the item once, in the title, not again beside it; its marked text where the
        # title is the item's text ("… (reverse-scored: share who disagree)")
        heading = marked if marked.startswith(named) else f"{title}\n{texts[item]}"
        labels = [f"{study.label(g)} (n = {n_labels[g]})" for g in groups]
        positions = {g: np.array([float(i)]) for i, g in enumerate(groups)}
        rows_drawn, axes_height = len(groups), 0.42 * len(groups)  # a row each
    else:
        heading = title
        labels = [_wrap(texts[i]) for i in items]
        offsets = np.linspace(-0.27, 0.27, len(groups)) if len(groups) > 1 else [0.0]
        positions = {g: np.arange(len(items)) + offsets[k] for k, g in enumerate(groups)}
        lines = [label.count("\n") + 1 for label in labels]
        rows_drawn = len(items)
        axes_height = sum(max(SHARE_ROW * len(groups) + 0.25, 0.2 * n + 0.15)
                          for n in lines)
    axes_height = max(SHARE_AXES_MIN, axes_height)
    longest = max((len(line) for label in labels for line in str(label).split("\n")),
                  default=10)
    wrapped = "\n".join(_wrap(line, max(30, int(70 - 0.9 * longest)))
                         for line in str(heading).split("\n"))
    top = 0.25 + 0.24 * (wrapped.count("\n") + 1)
    bottom = (0.7 if single else 1.0) + (0.09 + 0.16 * (note.count("\n") + 1) if note else 0)
    fig, ax = plt.subplots(figsize=(9.5, axes_height + top + bottom), layout="none")
    for group in groups:
        rows = shares[shares["group"] == group].set_index("item").reindex(items)
        y = positions[group]
        shown = rows["top_box"].notna().to_numpy()
        ax.errorbar(rows["top_box"][shown], y[shown],
                    xerr=[_spread(rows["top_box"] - rows["top_box_low"])[shown],
                          _spread(rows["top_box_high"] - rows["top_box"])[shown]],
                    fmt="o", color=colours[group], markersize=7, capsize=3, lw=1.6,
                    label=f"{study.label(group)} (n = {n_labels[group]})")
        for position, (item, row) in zip(y, rows.iterrows(), strict=True):
            if pd.notna(row["top_box"]):
                ax.annotate(_pct(row["top_box"]), (row["top_box_high"], position),
                            xytext=(4, 0), textcoords="offset points", va="center",
                            fontsize=8.5, color=colours[group])
            elif single:
                ax.annotate(f"not shown: fewer than {study.min_group_size} answers",
                            (0, position), xytext=(2, 0), textcoords="offset points",
                            va="center", fontsize=8.5, color="#555555", style="italic")
            alt_parts.append(f"{texts[item]} — {study.label(group)}: " + (
                f"{_pct(row['top_box'])} ({study.interval_label} {_pct(row['top_box_low'])}–"
                f"{_pct(row['top_box_high'])}, n = {int(row['n'])})"
                if pd.notna(row["top_box"]) else f"suppressed (n = {int(row['n'])})"))
    ax.set_yticks(range(rows_drawn), labels)
    ax.set_ylim(rows_drawn - 0.5, -0.5)  # top to bottom; every dot whole inside the axes
    ax.set_xlim(-0.03, 1.09)  # a marker at 0% or 100% stays whole, its label too
    ax.set_xticks(np.linspace(0, 1, 6))
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{100 * v:.0f}%"))
    ax.set_xlabel(xlabel or _share_axis(study, items, flipped))
    ax.set_title(wrapped, loc="left")
    _fixed_layout(fig, labels, fontsize, bottom=bottom, top=top)
    extra = 0.0 if single else _legend_below(fig, len(groups))
    if note:  # above the legend's rows
        fig.text(0.01, ((0.12 if single else 0.38) + extra) / fig.get_size_inches()[1], note,
                 fontsize=9, color="#555555", ha="left", va="bottom")
    return _alt(fig, f"{title}. Dot plot of top-box shares with intervals: "
                + "; ".join(alt_parts) + (f". {' '.join(note.split())}" if note else ""))


def _share_axis(study: Study, items: list[str], flipped: list[str]) -> str:
    """The share chart's axis: what its shares count ("Share who disagree" when every item
    drawn is reversed and counts the same answers, else "Top-box share") and the interval."""
    counted = {study.top_box_predicate(i) for i in flipped} if len(flipped) == len(items) \
        else set()
    share = f"Share who {counted.pop()}" if len(counted) == 1 else "Top-box share"
    return f"{share}, with {study.level} Wilson interval"


@_literal_text
def distribution_bars(counts: LevelCounts, study: Study, items: list[str], *,
                      title: str) -> Figure:
    """Diverging stacked bars of the answer distribution per audience and item.

    Points below the middle extend left of zero, the middle point (odd scales) is
    centred on zero, points above extend right; bars are percentages of each
    audience's answers, labelled with n.

    The answers are drawn as given: an item with ``reverse: true`` is coded
    k + 1 − point, so its counts are turned back before drawing, and its label says it is
    reverse-scored (:func:`cxstudy.report.wording.item_label`); the legend's labels are
    then right for every bar.
    """
    from .report.wording import item_label

    index = {item: row for row, item in enumerate(counts.items)}
    rows, labels, alt_parts = [], [], []
    for item in items:
        row = index[item]
        k = int(counts.k[row])
        names = study.scales[study.item(item).scale].point_names
        text = item_label(study, item)
        for g, group in enumerate(study.groups):
            n = int(counts.n[row, g])
            if too_small(n, study):
                continue
            shares = counts.counts[row, g, :k] / counts.counts[row, g, :k].sum()
            if study.item(item).reverse:  # codes k + 1 − point: back to the answers given
                shares = shares[::-1]
            rows.append((shares, k))
            labels.append(f"{_wrap(text, 44)}\n{study.label(group)} (n = {n})")
            alt_parts.append(f"{text} — {study.label(group)} (n = {n}): " + ", ".join(
                f"{name} {_pct(share)}" for name, share in zip(names, shares, strict=True)))
    fig, ax = plt.subplots(figsize=(10, max(2.5, 0.55 * len(rows) + 1.6)), layout="none")
    if not rows:
        ax.set_axis_off()
        ax.text(0.5, 0.5, "No audience reaches the minimum group size", ha="center")
        return _alt(fig, f"{title}: no audience reaches the minimum group size.")
    scale = study.scales[study.item(items[0]).scale]
    if any(study.item(i).scale != scale.id for i in items):
        raise ValueError("distribution_bars draws items of one scale; split them by scale "
                         "(cxstudy.report.items_by_scale)")
    k, names = scale.k, scale.point_names
    palette = blend([NEGATIVE, NEUTRAL, POSITIVE], k)
    for position, (shares, k_row) in enumerate(rows):
        middle = (k_row - 1) / 2
        left = -shares[: int(np.ceil(middle))].sum() - (
            shares[int(middle)] / 2 if k_row % 2 else 0)
        for level in range(k_row):
            ax.barh(position, shares[level], left=left, color=palette[level], height=0.7,
                    label=names[level] if position == 0 else None, edgecolor="white",
                    linewidth=0.5)
            if shares[level] >= 0.07:
                ax.text(left + shares[level] / 2, position, f"{100 * shares[level]:.0f}",
                        ha="center", va="center", fontsize=8,
                        color="white" if level in (0, k_row - 1) else "#222222")
            left += shares[level]
    ax.axvline(0, color="#333333", lw=0.8)
    ax.set_yticks(range(len(rows)), labels, fontsize=8.5)
    ax.invert_yaxis()
    ax.set_xlim(-1, 1)
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{abs(100 * v):.0f}%"))
    ax.set_xlabel(f"Share of answers ({names[0]} ← | → {names[-1]})")
    ax.set_title(title, loc="left")
    _fixed_layout(fig, labels, 8.5)
    _legend_below(fig, k, fontsize=8.5)  # one row where the points' names fit
    return _alt(fig, f"{title}. Diverging stacked bars of answer shares, from {names[0]} "
                f"on the left to {names[-1]} on the right: " + "; ".join(alt_parts))


@_literal_text
def dimension_gap_forest(dimension_gaps: pd.DataFrame, study: Study) -> Figure:
    """Difference in mean dimension score from the reference, with Welch intervals."""
    colours = audience_colours(study)
    table = dimension_gaps[~dimension_gaps["suppressed"].astype(bool)]
    dimensions = list(dict.fromkeys(table["dimension"]))
    groups = study.others
    fig, ax = plt.subplots(figsize=(9.5, max(2.5, 0.55 * len(dimensions) * len(groups) + 1.4)),
                           layout="constrained")
    offsets = np.linspace(-0.2, 0.2, len(groups)) if len(groups) > 1 else [0.0]
    alt_parts = []
    for g, group in enumerate(groups):
        rows = table[table["group"] == group].set_index("dimension").reindex(dimensions)
        y = np.arange(len(dimensions)) + offsets[g]
        ax.errorbar(rows["mean_diff"], y,
                    xerr=[_spread(rows["mean_diff"] - rows["mean_diff_low"]),
                          _spread(rows["mean_diff_high"] - rows["mean_diff"])],
                    fmt="s", color=colours[group], capsize=3, markersize=6,
                    label=f"{study.label(group)} − {study.label(study.reference)}")
        for dimension, row in rows.dropna(subset=["mean_diff"]).iterrows():
            alt_parts.append(f"{dimension}, {study.label(group)}: {row['mean_diff']:+.2f} "
                             f"({row['mean_diff_low']:+.2f} to {row['mean_diff_high']:+.2f}, "
                             f"n = {int(row['n'])} vs {int(row['n_ref'])})")
    ax.axvline(0, color="#333333", lw=0.8)
    ax.set_yticks(range(len(dimensions)), [_wrap(d, 30) for d in dimensions])
    ax.invert_yaxis()
    units = ", ".join(dict.fromkeys(table["units"])) if "units" in table and len(table) \
        else "scale points"
    ax.set_xlabel(_wrap(f"Difference in mean score ({units}), {study.level} Welch interval",
                        70))  # under the axes, which the dimension names push right
    ax.set_title(f"Dimension scores: each audience minus {study.label(study.reference)}",
                 loc="left")
    _fitting_legend(fig, len(groups), loc="outside lower center")
    return _alt(fig, f"Forest plot of the difference in mean dimension score ({units}) from "
                f"{study.label(study.reference)}: " + "; ".join(alt_parts))


@_literal_text
def missingness_heatmap(missing: pd.DataFrame, study: Study) -> Figure:
    """Share of each audience that left each item unanswered, from
    :func:`cxstudy.quality.missing_shares` (which leaves out audiences below the minimum
    group size: their shares would reveal their answers)."""
    texts = {i.id: i.text for i in study.items}
    table = missing.set_axis([_wrap(texts.get(item, item), 50) for item in missing.index])
    table.columns = [study.label(str(g)) for g in table.columns]
    items = list(missing.index)
    fig, ax = plt.subplots(figsize=(8, 0.36 * len(items) + 1.6))
    if table.empty:
        ax.set_axis_off()
        ax.text(0.5, 0.5, "No audience reaches the minimum group size", ha="center")
        return _alt(fig, "No audience reaches the minimum group size: no missing answers "
                    "are shown.")
    import seaborn as sns  # here only: the other pages need not import it

    sns.heatmap(table, annot=True, fmt=".0%", cmap="Greys", vmin=0,
                vmax=max(0.2, float(np.nanmax(table.to_numpy())) if table.size else 0.2),
                cbar=False, ax=ax, annot_kws={"fontsize": 8})
    ax.set_title("Share without an answer", loc="left")
    ax.tick_params(axis="y", labelsize=8)
    worst = table.stack().sort_values(ascending=False).head(3)
    return _alt(fig, "Heatmap of the share of each audience that did not answer each item; "
                "highest: " + "; ".join(f"{i.split(chr(10))[0]} — {g}: {v:.0%}"
                                       for (i, g), v in worst.items()))


def _overlap(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Area shared by box ``a`` (x0, y0, x1, y1) and each of boxes ``b`` (rows)."""
    if not len(b):
        return np.zeros(0)
    width = np.minimum(a[2], b[:, 2]) - np.maximum(a[0], b[:, 0])
    height = np.minimum(a[3], b[:, 3]) - np.maximum(a[1], b[:, 1])
    return np.clip(width, 0, None) * np.clip(height, 0, None)


def place_labels(ax, x, y, labels: list[str], *, avoid=(), marker: float = 7.0,
                 fontsize: float = 8.5, **text_kwargs) -> list:
    """Put a short label beside each point (``x``, ``y`` in data units) where it overlaps
    no other label, no marker and none of the artists ``avoid``: a simple repel.

    Each label tries places around its point, nearest first (right, left, above, below
    and the four diagonals, at 1, 2, 3 and 4.5 times a small gap), and takes the first
    that overlaps nothing and stays inside the axes; where every place overlaps
    something it takes the one overlapping least. A label set away from its point gets
    a thin line to it. Sizes come from the renderer (the text's own extent at its font
    size), so the result holds for the figure as drawn. The axes' limits must be fixed
    before (``set_xlim``/``set_ylim``).

    Returns the label Text artists, in the order of ``labels``.
    """
    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    to_pixels = ax.transData.transform
    centres = to_pixels(np.column_stack([np.asarray(x, float), np.asarray(y, float)]))
    per_point = fig.dpi / 72
    radius = marker / 2 * per_point + 1
    markers = np.column_stack([centres - radius, centres + radius])
    frame = ax.get_window_extent(renderer)
    obstacles = [np.array(a.get_window_extent(renderer).extents) for a in avoid]
    gap = 3 * per_point
    texts, placed = [], []
    for (cx, cy), label in zip(centres, labels, strict=True):
        probe = ax.text(0, 0, label, fontsize=fontsize, transform=None, **text_kwargs)
        box = probe.get_window_extent(renderer)
        probe.remove()
        w, h = box.width + 2, box.height + 2
        best, best_cost = None, np.inf
        for step in (1, 2, 3, 4.5):
            d = radius + gap * step
            for dx, dy in ((d, -h / 2), (-d - w, -h / 2), (-w / 2, d), (-w / 2, -d - h),
                           (d * 0.7, d * 0.7), (-d * 0.7 - w, d * 0.7),
                           (d * 0.7, -d * 0.7 - h), (-d * 0.7 - w, -d * 0.7 - h)):
                candidate = np.array([cx + dx, cy + dy, cx + dx + w, cy + dy + h])
                outside = (candidate[0] < frame.x0 or candidate[1] < frame.y0
                           or candidate[2] > frame.x1 or candidate[3] > frame.y1)
                cost = (1e6 * outside + 100 * _overlap(candidate, np.array(placed)).sum()
                        + 10 * _overlap(candidate, markers).sum()
                        + 10 * _overlap(candidate, np.array(obstacles)).sum() + step)
                if cost < best_cost:
                    best, best_cost = candidate, cost
            if best_cost < 5:  # nothing overlapped at this distance
                break
        placed.append(best)
        position = ax.transData.inverted().transform((best[0] + 1, best[1] + 1))
        texts.append(ax.annotate(
            label, ax.transData.inverted().transform((cx, cy)), xytext=position,
            textcoords="data", ha="left", va="bottom", fontsize=fontsize,
            arrowprops={"arrowstyle": "-", "color": "#999999", "lw": 0.6,
                        "shrinkA": 0, "shrinkB": radius / per_point}
            if np.hypot(best[0] + w / 2 - cx, best[1] + h / 2 - cy) > radius + 3 * gap + w
            else None, **text_kwargs))
    return texts


def _importance_axes(ax, table: pd.DataFrame, shown: pd.DataFrame, study: Study) -> None:
    """The importance-performance chart's axis titles, and its performance ticks as
    percentages with as many decimals as the range needs: no two ticks read the same
    ("29% 29% 30%") when the items' shares are close."""
    from matplotlib.ticker import PercentFormatter

    from .report.wording import item_label

    ax.xaxis.set_major_formatter(PercentFormatter(xmax=1, decimals=None))
    method = table.attrs.get("method", "derived")
    outcome = item_label(study, table.attrs.get("against"))  # correlated as scored
    ax.set_xlabel("Performance: top-box share, "
                  + (study.label(shown["group"].iloc[0]) if len(shown) else ""))
    ax.set_ylabel("Importance: " + ("stated (top-box share)" if method == "stated" else
                                    f"Spearman correlation with\n{_wrap(outcome, 50)}"))


@_literal_text
def importance_performance_plot(table: pd.DataFrame, study: Study) -> Figure:
    """Importance (y) against performance (x), crosshairs at the means, four quadrants."""
    shown = table.dropna(subset=["importance", "performance"])
    shown = shown.assign(text=[_item_text(study, r.item, r.text) for r in shown.itertuples()])
    columns = 2 if len(shown) > 6 else 1
    key = [f"{number}. {_wrap(row.text, 60 if columns == 2 else 110)}" for number, row in
           enumerate(shown.itertuples(), start=1)]  # a column's width of 8-point text
    per_column = -(-len(key) // columns)
    key_lines = sum(k.count("\n") + 1 for k in key[:per_column]) + 1
    key_height = 0.17 * key_lines  # inches for the numbered key under the chart
    height = 5.6 + 1.0 + key_height
    fig, ax = plt.subplots(figsize=(9.5, height), layout="none")
    fig.subplots_adjust(left=0.1, right=0.97, top=1 - 0.4 / height,
                        bottom=(key_height + 1.0) / height)
    x_mid = table.attrs.get("performance_mean", shown["performance"].mean())
    y_mid = table.attrs.get("importance_mean", shown["importance"].mean())
    colours = {"concentrate here": NEGATIVE, "keep up the good work": POSITIVE,
               "low priority": "#7F7F7F", "possible overkill": "#E69F00"}
    for quadrant, part in shown.groupby("quadrant"):
        ax.errorbar(part["performance"], part["importance"],
                    yerr=[_spread(part["importance"] - part["importance_low"]),
                          _spread(part["importance_high"] - part["importance"])],
                    fmt="o", color=colours.get(quadrant, "#333333"), capsize=2, lw=1,
                    markersize=7, label=quadrant)
    ax.margins(x=0.08, y=0.08)
    ax.autoscale_view()
    ax.set_xlim(ax.get_xlim())  # fixed before the numbers are placed in them
    ax.set_ylim(ax.get_ylim())
    _importance_axes(ax, table, shown, study)
    _fit_left(fig, ax.yaxis.label, pad=0.1)  # the axis title whole (before the numbers)
    corners = []
    for text, (x, y, ha, va) in {"Concentrate here": (0.01, 0.99, "left", "top"),
                                 "Keep up the good work": (0.99, 0.99, "right", "top"),
                                 "Low priority": (0.01, 0.01, "left", "bottom"),
                                 "Possible overkill": (0.99, 0.01, "right", "bottom")}.items():
        corners.append(ax.text(x, y, text, transform=ax.transAxes, ha=ha, va=va, fontsize=10,
                               color="#555555", style="italic"))
    # points are numbered, the key below the chart names them; the numbers are placed
    # where they overlap no other number, marker or quadrant name (place_labels)
    place_labels(ax, shown["performance"].to_numpy(), shown["importance"].to_numpy(),
                 [str(number) for number in range(1, len(shown) + 1)],
                 avoid=corners, fontsize=8.5, color="#222222")
    for column in range(columns):
        fig.text(0.02 + 0.5 * column, (key_height - 0.05) / height, "\n".join(
            key[column * per_column:(column + 1) * per_column]), fontsize=8, va="top",
            ha="left", color="#333333", linespacing=1.25)
    ax.axvline(x_mid, color="#555555", ls="--", lw=0.9)
    ax.axhline(y_mid, color="#555555", ls="--", lw=0.9)
    ax.set_title("Importance and performance", loc="left")
    fig.legend(loc="lower center", bbox_to_anchor=(0.5, (key_height + 0.05) / height), ncol=4)
    groups = {q: [r.text for r in shown.itertuples() if r.quadrant == q]
              for q in colours if (shown["quadrant"] == q).any()}
    return _alt(fig, "Importance-performance chart with crosshairs at the mean importance "
                f"({y_mid:.2f}) and mean performance ({_pct(x_mid)}). " + " ".join(
                    f"{q.capitalize()}: {'; '.join(items)}." for q, items in groups.items()))


@_literal_text
def calibration_plot(calibration: pd.DataFrame, study: Study) -> Figure:
    """What leaders and staff believe the reference audience says, against what it says."""
    rows = calibration[~calibration["suppressed"].astype(bool)]
    texts = {i.id: _item_text(study, i.id) for i in study.items}
    labels = [f"{_wrap(texts[r.item], 30)}\n{study.label(r.group)} (n = {r.n})"
              for r in rows.itertuples()]
    fig, ax = plt.subplots(figsize=(9.5, max(2.4, 0.9 * len(rows) + 1.4)), layout="constrained")
    y = np.arange(len(rows))
    ax.errorbar(rows["estimate"], y + 0.12,
                xerr=[_spread(rows["estimate"] - rows["estimate_low"]),
                      _spread(rows["estimate_high"] - rows["estimate"])],
                fmt="o", color=AUDIENCE_COLOURS[1], capsize=3, markersize=7,
                label="their estimate (mean)")
    ax.errorbar(rows["actual"], y - 0.12, xerr=[_spread(rows["actual"] - rows["actual_low"]),
                                                _spread(rows["actual_high"] - rows["actual"])],
                fmt="s", color=AUDIENCE_COLOURS[2], capsize=3, markersize=7,
                label=f"what {study.label(study.reference)} say")
    for position, row in zip(y, rows.itertuples(), strict=True):
        ax.annotate("", xy=(row.actual, position), xytext=(row.estimate, position),
                    arrowprops={"arrowstyle": "->", "color": "#999999"})
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{100 * v:.0f}%"))
    reference = study.label(study.reference)
    ax.set_xlabel(f"Share of {reference} who "
                  + (study.top_box_predicate(rows["item"].iloc[0]) if len(rows)
                     else "chose the top box"))
    estimators = study.labels(list(dict.fromkeys(rows["group"])))
    ax.set_title(f"What {' and '.join(estimators)} think {reference} say", loc="left")
    _fitting_legend(fig, 2, loc="outside lower center")
    return _alt(fig, "; ".join(
        f"{study.label(r.group)} estimate {_pct(r.estimate)} of {reference} "
        f"{study.top_box_predicate(r.item)} on “{texts[r.item]}” "
        f"(n = {r.n}); actually {_pct(r.actual)} ({_pct(r.actual_low)}–{_pct(r.actual_high)}, "
        f"n = {r.n_actual})" for r in rows.itertuples()))


THEMES_SHOWN = 15  # a theme chart shows at most this many themes (every one: themes.csv)


def theme_rows(themes: pd.DataFrame, question: str) -> tuple[pd.DataFrame, list[str]]:
    """The rows of one question a theme chart draws, and the labels of the themes it
    leaves out because no audience named them (0% for every audience shown)."""
    part = themes[themes["question"] == question]
    named = part.groupby("theme", sort=False)["share"].max()  # NaN: every audience hidden
    unnamed = named[named.eq(0)].index
    labels = part.drop_duplicates("theme").set_index("theme")["label"]
    return (part[~part["theme"].isin(unnamed)],
            [str(labels[t]) for t in unnamed if t != voices.UNCODED])


@_literal_text
def theme_dots(themes: pd.DataFrame, study: Study, question: str, *, title: str,
               top: int = THEMES_SHOWN) -> Figure | None:
    """Share of each audience's answers mentioning each theme, with Wilson intervals: the
    ``top`` themes most mentioned by any audience where the codebook has more, so that a
    page costs the themes it shows, not the themes a codebook defines. Themes no audience
    named (0% for every audience) are left out and named in the note under the chart.

    None, and no figure, where there is nothing to draw: the table has no row of the
    question (not asked in the wave shown), nobody answered it in that wave, or every
    audience is below the minimum group size (:func:`cxstudy.report.theme_chart_note`
    says which)."""
    part, unnamed = theme_rows(themes, question)
    if part.empty or part["share"].isna().all():
        return None
    chosen = voices.most_mentioned(part, top)
    defined = themes.loc[(themes["question"] == question)
                         & (themes["theme"] != voices.UNCODED), "theme"].nunique()
    notes = []
    if len(chosen) < part["theme"].nunique():
        notes.append(f"The {len(chosen)} themes most mentioned of the codebook's {defined:,}; "
                     "every theme is in tables/themes.csv.")
        part = part[part["theme"].isin(chosen)]
    if unnamed:
        notes.append(_wrap("Named by no audience, so not drawn: " + ", ".join(unnamed) + ".",
                           150))
    note = "\n".join(notes)
    shares = pd.DataFrame({"item": part["theme"], "text": part["label"], "group": part["group"],
                           "n": part["n"], "top_box": part["share"],
                           "top_box_low": part["share_low"], "top_box_high": part["share_high"]})
    order = (part[part["group"] == study.reference].set_index("theme")["share"]
             .sort_values(ascending=False).index.tolist())
    shares["rank"] = shares["item"].map({t: i for i, t in enumerate(order)})
    return share_dots(shares.sort_values("rank", kind="stable"), study, title=title,
                      note=note, xlabel=f"Share of answers mentioning the theme, "
                                        f"{study.level} Wilson interval")


def choice_dots(shares: pd.DataFrame, study: Study, question: str) -> Figure:
    """Each option's share per audience with its Wilson interval (a dot chart), options in
    the study's display order: the choice section of the Gaps page.

    ``shares`` is (a subset of) :func:`cxstudy.choices.choice_shares`; suppressed
    audiences are drawn as absent and named in the alt text.
    """
    choice = next(c for c in study.choices if c.id == question)
    part = shares[shares["question"] == question]
    frame = pd.DataFrame({"item": part["option"], "text": part["option"],
                          "group": part["group"], "n": part["n"], "top_box": part["share"],
                          "top_box_low": part["share_low"],
                          "top_box_high": part["share_high"]})
    order = {label: i for i, label in enumerate(choice.labels)}
    frame = frame.sort_values("item", key=lambda s: s.map(order), kind="stable")
    who = ("Share of those who answered ticking the option" if choice.multiple
           else "Share picking the option")
    note = ("Check all that apply: shares need not add up to 100%." if choice.multiple
            else "")
    return share_dots(frame, study, title=choice.text, note=note,
                      xlabel=f"{who}, with {study.level} Wilson interval")


@_literal_text
@_literal_text
def gap_slopes(gaps: pd.DataFrame, study: Study, item: str) -> Figure:
    """Each audience's gap to the reference on one item across the waves (a slope chart),
    with Newcombe intervals; ``gaps`` is the gap table of every wave. Where the item's
    series breaks (``break:``) the line is not drawn across the break, which a dashed
    line marks. Each gap is labelled beside its point: left of the first wave's, right of
    the others', so that no label sits on a line or outside the chart."""
    colours = audience_colours(study)
    part = gaps[gaps["item"] == item]
    waves = [w for w in study.waves if w in set(part["wave"])]
    text = _item_text(study, item, part["text"].iloc[0] if len(part) else item)
    reference = study.label(study.reference)
    fig, ax = plt.subplots(figsize=(7.5, 4.6), layout="constrained")
    x = np.arange(len(waves))
    offsets = np.linspace(-0.06, 0.06, max(1, len(study.groups) - 1))
    brk = next((i.series_break for i in study.items if i.id == item), None)
    cut = waves.index(brk.wave) if brk is not None and brk.wave in waves[1:] else None
    sides = [x < cut, x >= cut] if cut is not None else [np.ones(len(x), dtype=bool)]
    alt_parts = []
    for position, group in enumerate(study.others):
        name = study.label(group)
        rows = part[part["group"] == group].set_index("wave").reindex(waves)
        for side, within in enumerate(sides):  # no line joins the two sides of a break
            shown = rows["gap"].notna().to_numpy() & within
            ax.errorbar(x[shown] + offsets[position], 100 * rows["gap"][shown],
                        yerr=[100 * _spread(rows["gap"] - rows["gap_low"])[shown],
                              100 * _spread(rows["gap_high"] - rows["gap"])[shown]],
                        fmt="-o", color=colours[group], capsize=3, markersize=7, lw=2,
                        label=f"{name} − {reference}" if side == 0 else None)
        for k, (wave, xpos, row) in enumerate(zip(waves, x, rows.itertuples(), strict=True)):
            if pd.notna(row.gap):  # beside the outermost audience: clear of every bar
                edge = offsets[0] if k == 0 else offsets[-1]
                ax.annotate(f"{100 * row.gap:+.0f}", (xpos + edge, 100 * row.gap),
                            xytext=(-10 if k == 0 else 10, 0), textcoords="offset points",
                            va="center", ha="right" if k == 0 else "left", fontsize=9,
                            color=colours[group])
            alt_parts.append(f"{name} {wave}: " + (
                f"{100 * row.gap:+.0f} points ({100 * row.gap_low:+.0f} to "
                f"{100 * row.gap_high:+.0f}, n = {int(row.n)} vs {int(row.n_ref)})"
                if pd.notna(row.gap) else "not shown"))
    ax.axhline(0, color="#333333", lw=0.8)
    broke = ""
    if cut is not None:
        ax.axvline(cut - 0.5, color="#555555", lw=1, ls="--")
        ax.annotate(_wrap(f"break: {brk.reason}", 28), (cut - 0.5, 1), xytext=(4, -4),
                    xycoords=("data", "axes fraction"), textcoords="offset points",
                    va="top", fontsize=8, color="#555555")
        broke = (f" (the series breaks at {brk.wave}: {brk.reason}; the waves on either "
                 "side are not joined)")
    ax.set_xticks(x, waves)
    ax.set_xlim(-0.5, len(waves) - 0.5)  # room for the labels either side
    ax.set_ylabel(f"Gap to {reference}, points ({study.interval_label})")
    ax.set_title(_wrap(text, 60), loc="left")
    _fitting_legend(fig, max(1, len(study.groups) - 1), loc="outside lower center")
    return _alt(fig, f"Slope chart of the gap on “{text}” across waves{broke}: "
                + "; ".join(alt_parts))


def _fit_left(fig: Figure, ax, pad: float = 0.3) -> None:
    """Widen the left margin to the drawn width of the y tick labels (in inches, measured
    by the renderer, not estimated from their length), so that no label is clipped at
    the figure's left edge. Given an axis title (``ax.yaxis.label``) instead of axes:
    widen it until the title, as drawn, starts ``pad`` inches inside the figure."""
    renderer = fig.canvas.get_renderer()
    width = fig.get_size_inches()[0]
    if not hasattr(ax, "get_yticklabels"):  # a text: shift by what sticks out
        fig.canvas.draw()
        short = (pad * fig.dpi - ax.get_window_extent(renderer).x0) / fig.bbox.width
        if short > 0:
            fig.subplots_adjust(left=min(fig.subplotpars.left + short, 0.7))
        return
    widest = max((label.get_window_extent(renderer).width for label in
                  ax.get_yticklabels()), default=0.0) / fig.dpi
    fig.subplots_adjust(left=min(max(fig.subplotpars.left, (widest + pad) / width), 0.7))


@_literal_text
def change_dots(trends: pd.DataFrame, study: Study, *, title: str) -> Figure:
    """The change of every item's gap between two waves, per audience, with MOVER
    intervals (later wave minus earlier). The item labels set the left margin
    (:func:`_fit_left`): none is clipped."""
    colours = audience_colours(study)
    items = list(dict.fromkeys(trends["item"]))
    texts = {i: _item_text(study, i, t) for i, t in
             trends.drop_duplicates("item").set_index("item")["text"].items()}
    groups = study.others
    reference = study.label(study.reference)
    fig, ax = plt.subplots(figsize=(9.5, max(2.6, 0.42 * len(items) * max(1, len(groups) / 2)
                                             + 1.6)), layout="none")
    offsets = np.linspace(-0.2, 0.2, len(groups)) if len(groups) > 1 else [0.0]
    alt_parts = []
    for position, group in enumerate(groups):
        name = study.label(group)
        rows = trends[trends["group"] == group].set_index("item").reindex(items)
        y = np.arange(len(items)) + offsets[position]
        shown = rows["change"].notna().to_numpy()
        ax.errorbar(100 * rows["change"][shown], y[shown],
                    xerr=[100 * _spread(rows["change"] - rows["change_low"])[shown],
                          100 * _spread(rows["change_high"] - rows["change"])[shown]],
                    fmt="o", color=colours[group], capsize=3, markersize=6,
                    label=f"{name} − {reference}")
        alt_parts += [f"{texts[i]} — {name}: " + (
            f"{100 * r.change:+.0f} points ({100 * r.change_low:+.0f} to "
            f"{100 * r.change_high:+.0f})" if pd.notna(r.change) else "not shown")
            for i, r in zip(items, rows.itertuples(), strict=True)]
    labels = [_wrap(texts[i]) for i in items]
    ax.axvline(0, color="#333333", lw=0.8)
    ax.set_yticks(range(len(items)), labels)
    ax.invert_yaxis()
    ax.set_xlabel(f"Change in the gap (later wave minus earlier), points "
                  f"({study.interval_label})")
    ax.set_title(title, loc="left")
    _fixed_layout(fig, labels, 10.5)
    _fit_left(fig, ax)
    _legend_below(fig, len(groups))
    return _alt(fig, f"{title}. Dot plot of the change in each gap with intervals: "
                + "; ".join(alt_parts))


@_literal_text
def segment_heatmap(segments: pd.DataFrame, study: Study, segment: str) -> Figure:
    """Items x levels of one segment, coloured by each audience's gap to the reference in
    the level (one panel per audience); suppressed cells are marked, n under each level."""
    part = segments[segments["segment"] == segment]
    groups = [g for g in study.others if g in set(part["group"])]
    levels = list(dict.fromkeys(part["level"]))
    items = list(dict.fromkeys(part["item"]))
    texts = {i: _item_text(study, i, t) for i, t in
             part.drop_duplicates("item").set_index("item")["text"].items()}
    label = part["label"].iloc[0] if len(part) else segment
    reference = study.label(study.reference)
    panel = 0.34 * len(items) + 1.4
    fig, axes = plt.subplots(len(groups), 1, figsize=(9.5, panel * len(groups) + 0.5),
                             squeeze=False, layout="none")
    cmap = plt.get_cmap("RdBu_r").copy()
    cmap.set_bad("#EEEEEE")
    alt_parts = []
    for ax, group in zip(axes[:, 0], groups, strict=True):
        rows = part[part["group"] == group].set_index(["item", "level"])
        grid = np.array([[rows.loc[(i, lv), "gap"] if (i, lv) in rows.index else np.nan
                          for lv in levels] for i in items], dtype=float)
        hidden = np.array([[bool(rows.loc[(i, lv), "suppressed"]) if (i, lv) in rows.index
                            else False for lv in levels] for i in items])
        ax.imshow(np.ma.masked_invalid(100 * grid), cmap=cmap, vmin=-100, vmax=100,
                  aspect="auto")
        for (r, c), value in np.ndenumerate(grid):
            text = "hidden" if hidden[r, c] else (
                "–" if np.isnan(value) else f"{100 * value:+.0f}")
            ax.text(c, r, text, ha="center", va="center", fontsize=8,
                    color="white" if not np.isnan(value) and abs(value) > 0.55 else "#222222")
        n_of = part[part["group"] == group].groupby("level", sort=False)[["n", "n_ref"]].max()
        ax.set_xticks(range(len(levels)), [
            f"{_wrap(lv, 12)}\nn = {int(n_of.loc[lv, 'n'])} / {int(n_of.loc[lv, 'n_ref'])}"
            for lv in levels], fontsize=8)
        ax.set_yticks(range(len(items)), [_wrap(texts[i], 44) for i in items], fontsize=8.5)
        ax.tick_params(axis="x", top=True, labeltop=True, bottom=False, labelbottom=False)
        ax.grid(False)
        compared = part.loc[part["group"] == group, "compared"].iloc[0]
        name = study.label(group)
        ax.set_title(f"{name} − {reference}" + (f" (all {name}, compared overall)"
                                                 if compared == "overall" else ""),
                     loc="left", fontsize=10.5, pad=30)
        alt_parts.append(f"{name}: " + "; ".join(
            f"{lv}: widest {texts[items[int(np.nanargmax(np.abs(grid[:, c])))]]} "
            f"{100 * grid[int(np.nanargmax(np.abs(grid[:, c]))), c]:+.0f} points"
            for c, lv in enumerate(levels) if not np.isnan(grid[:, c]).all()))
    _fixed_layout(fig, [_wrap(texts[i], 44) for i in items], 8.5, top=1.45, bottom=0.45,
                  right=1.55)
    fig.subplots_adjust(hspace=1.35 / (panel - 1.2))
    fig.suptitle(f"{label}: gap to {reference} by level, points", x=0.01, ha="left",
                 y=1 - 0.15 / fig.get_size_inches()[1], va="top", fontsize=12,
                 fontweight="bold")
    _gap_colour_bar(fig, axes[0, 0], cmap, reference)
    fig.text(0.01, 0.005, f"hidden: fewer than {study.min_group_size} respondents in the "
             "level, or hidden so that a smaller level cannot be worked out from the total",
             fontsize=8, color="#555555", ha="left", va="bottom")
    return _alt(fig, f"Heatmap of the gap to {reference} by {label} level, in points "
                f"(red: the audience's share above that of {reference}, blue: below, white: "
                f"no gap; cells marked hidden rest on fewer than {study.min_group_size} "
                "respondents, or are hidden so that a smaller level cannot be worked out). "
                + " | ".join(alt_parts))


def _gap_colour_bar(fig: Figure, top_axes, cmap, reference: str) -> None:
    """What a heatmap's colour means: a bar of the gap in points, -100 to +100, diverging
    around 0 (red: the audience's share above the reference's, blue: below), beside the
    first panel, at most 3 inches tall."""
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    width, height = fig.get_size_inches()
    box = top_axes.get_position()
    tall = min(box.height, 3.0 / height)
    bar = fig.add_axes((1 - 1.3 / width, box.y1 - tall, 0.16 / width, tall))
    colours = fig.colorbar(ScalarMappable(Normalize(-100, 100), cmap), cax=bar,
                           ticks=[-100, -50, 0, 50, 100])
    colours.ax.set_yticklabels(["−100", "−50", "0", "+50", "+100"], fontsize=7.5)
    colours.ax.set_title("gap,\npoints", fontsize=8, loc="left", pad=4)
    colours.ax.text(3.4, 1.0, f"above\n{_wrap(reference, 10)}", transform=colours.ax.transAxes,
                    fontsize=7, va="top", color="#B2182B")
    colours.ax.text(3.4, 0.0, f"below\n{_wrap(reference, 10)}",
                    transform=colours.ax.transAxes, fontsize=7, va="bottom",
                    color="#2166AC")
