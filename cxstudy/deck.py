"""``deck.pptx``: the report's findings as slides, for a consultant to present.

The deck says what the pages say, with the pages' own functions: every sentence comes
from :mod:`cxstudy.report.wording`, every table from :mod:`cxstudy.report.display` and
every chart from :mod:`cxstudy.plots` (with its alt text), so a number has the same n
and interval on a slide as on a page, and suppression is what it is everywhere. Only
the slide titles and the connecting words of a slide are the deck's own.

A slide is made by a *section*: a function of the deck and the study's results that adds
its slides, or none where the study lacks what it needs (:data:`SECTIONS`, in order). The
open answers have one function per kind of slide and question (:data:`VOICE_SLIDES`):
adding a slide on, say, the similarity of the audiences' themes is one function there.

A study may name a client template (``deliverables: {deck_template: acme.pptx}``): the
deck then uses its slide size, theme and the layouts :data:`LAYOUTS` by name.
"""

from __future__ import annotations

import html
import io
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import registry
from .exceptions import Problem, StudyFileError
from .model import Study
from .waves import headline_items

LAYOUTS = ("Title Slide", "Title Only")
"""The slide layouts the deck uses, by name: a template must have both."""

DPI = 100
"""Charts are drawn at this resolution: sharp on a projector, quick to make."""

WIDE = (13.333, 7.5)  # inches: the default deck is 16:9
MARGIN = 0.45  # inches around the content
MAX_SIZE, MIN_SIZE = 18, 10  # points: text shrinks from the first to the last to fit
TABLE_ROWS = 8  # rows of a table on one slide; the rest: in the report and tables.xlsx
QUOTES = 6  # answers on a question's slide of quotes, shared among the audiences
BULLETS = 6  # sentences on a slide of findings; the rest: in the report


# ---------------------------------------------------------------------------
# text from the pages, as slides show it


def from_markdown(text: str) -> str:
    """The pages' Markdown (:func:`cxstudy.report.wording.md` escapes study text in it) as
    plain text for a slide: links become their text, emphasis and escapes go, entities
    become characters.

    Examples
    --------
    >>> from_markdown("**Acme** \\\\(a\\\\_b\\\\) &amp; [Perception gaps](gaps.html): *staff*")
    'Acme (a_b) & Perception gaps: staff'
    """
    text = re.sub(r"(?<!\\)\[(.*?)(?<!\\)\]\([^)]*\)", r"\1", str(text))
    text = re.sub(r"(?<!\\)(\*\*|\*|`)", "", text)
    text = re.sub(r"\\(.)", r"\1", text)
    return html.unescape(text)


def from_html(text: str) -> str:
    """The pages' HTML-safe sentences (study and respondent text escaped) as plain text.

    Examples
    --------
    >>> from_html("“Fish &amp; chips”: 76% of staff")
    '“Fish & chips”: 76% of staff'
    """
    return html.unescape(re.sub(r"<br\s*/?>", "\n", str(text)))


# ---------------------------------------------------------------------------
# the template


def open_template(path: Path | None):
    """The presentation the deck is built on: the template's (its slides removed), or
    python-pptx's default at 16:9.

    Raises
    ------
    StudyFileError
        The template is not a PowerPoint file, or lacks a layout of :data:`LAYOUTS`;
        the error names the file and each missing layout.
    """
    from pptx import Presentation
    from pptx.util import Inches

    if path is None:
        deck = Presentation()
        stretch = Inches(WIDE[0]) / deck.slide_width
        # the default's layouts are drawn for 4:3: widen them with the slide (layouts
        # first: a layout's placeholder takes its place from the master's until set)
        for shapes in [*(layout.placeholders for layout in deck.slide_layouts),
                       deck.slide_master.placeholders]:
            for shape in shapes:
                left, top, width, height = shape.left, shape.top, shape.width, shape.height
                if None not in (left, top, width, height):  # set all four, or none is set
                    shape.left, shape.top = int(left * stretch), top
                    shape.width, shape.height = int(width * stretch), height
        deck.slide_width, deck.slide_height = Inches(WIDE[0]), Inches(WIDE[1])
        return deck
    where = "deliverables.deck_template"
    try:
        deck = Presentation(str(path))
    except Exception as exc:  # a zip that is no presentation, no zip at all, ...
        raise StudyFileError(path, [Problem(
            where, f"not a PowerPoint .pptx file ({type(exc).__name__}: {exc})",
            "save the template from PowerPoint as .pptx, or remove deck_template to use "
            "the default")]) from None
    names = [layout.name for layout in deck.slide_layouts]
    missing = [needed for needed in LAYOUTS if needed not in names]
    if missing:
        raise StudyFileError(path, [Problem(
            where, f"no slide layout named {name!r} (its layouts: "
            f"{', '.join(map(repr, names)) or 'none'})",
            f"the deck uses the layouts {' and '.join(map(repr, LAYOUTS))}: give a layout of "
            "the template that name (PowerPoint: View, Slide Master, Rename Layout)")
            for name in missing])
    slides = deck.slides._sldIdLst  # a template's sample slides are not the deck's
    for slide_id in list(slides):
        deck.part.drop_rel(slide_id.rId)
        slides.remove(slide_id)
    return deck


def check_template(study: Study) -> None:
    """Fail before any work is done when the study's deck template cannot be used."""
    if study.deliverables.deck and study.deliverables.deck_template is not None:
        open_template(study.deliverables.deck_template)


# ---------------------------------------------------------------------------
# the deck being built


@dataclass
class Deck:
    """The presentation being built, and what its slides need to know."""

    prs: Any
    study: Study
    charts: int = 0
    alt_texts: list[str] = field(default_factory=list)

    @property
    def width(self) -> float:
        return self.prs.slide_width / 914400

    @property
    def height(self) -> float:
        return self.prs.slide_height / 914400

    def layout(self, name: str):
        return next(layout for layout in self.prs.slide_layouts if layout.name == name)

    def slide(self, title: str) -> tuple[Any, tuple[float, float, float, float]]:
        """A new Title Only slide; returns it and the free box below the title (inches:
        left, top, width, height)."""
        from pptx.util import Pt

        slide = self.prs.slides.add_slide(self.layout("Title Only"))
        top = MARGIN
        if slide.shapes.title is not None:
            heading = slide.shapes.title
            heading.text = title
            size = 30 if len(title) <= 55 else 24 if len(title) <= 80 else 20
            for paragraph in heading.text_frame.paragraphs:
                for run in paragraph.runs:
                    run.font.size = Pt(size)
            top = (heading.top + heading.height) / 914400 + 0.1
        else:
            self.text(slide, (MARGIN, MARGIN, self.width - 2 * MARGIN, 0.9), [title],
                      size=28)
            top = MARGIN + 1.0
        return slide, (MARGIN, top, self.width - 2 * MARGIN, self.height - top - MARGIN)

    def text(self, slide, box, paragraphs: list[str], *, size: float | None = None,
             bullets: bool = False) -> float:
        """Plain-text paragraphs in ``box``, in the largest size (up to 18 pt) at which
        they fit; returns the height they take (inches)."""
        from pptx.util import Inches, Pt

        left, top, width, height = box
        paragraphs = [("• " if bullets else "") + p for p in paragraphs if p]
        if not paragraphs:
            return 0.0
        size = size or fit_size(paragraphs, width, height)
        shape = slide.shapes.add_textbox(Inches(left), Inches(top), Inches(width),
                                         Inches(height))
        frame = shape.text_frame
        frame.word_wrap = True
        for number, text in enumerate(paragraphs):
            paragraph = frame.paragraphs[0] if number == 0 else frame.add_paragraph()
            paragraph.text = text
            paragraph.space_after = Pt(size * 0.5)
            for run in paragraph.runs:
                run.font.size = Pt(size)
        used = text_height(paragraphs, width, size)
        shape.height = Inches(min(height, used))
        return min(height, used)

    def picture(self, slide, box, fig) -> None:
        """A figure of :mod:`cxstudy.plots` as a PNG fitted into ``box``, with its alt
        text (the figure's ``cx_alt``) as the picture's description."""
        import matplotlib.pyplot as plt
        from pptx.util import Inches

        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=DPI)
        width_in, height_in = fig.get_size_inches()
        alt = getattr(fig, "cx_alt", None) or "Chart"
        plt.close(fig)
        left, top, width, height = box
        scale = min(width / width_in, height / height_in)
        shown_w, shown_h = width_in * scale, height_in * scale
        picture = slide.shapes.add_picture(buffer, Inches(left + (width - shown_w) / 2),
                                           Inches(top), Inches(shown_w), Inches(shown_h))
        picture._element.nvPicPr.cNvPr.set("descr", alt)
        self.charts += 1
        self.alt_texts.append(alt)

    def table(self, slide, box, frame: pd.DataFrame, *, more: str = "") -> float:
        """A table of the pages (:mod:`cxstudy.report.display`) in ``box``: at most
        :data:`TABLE_ROWS` rows, in the largest size at which it fits (rows that do not fit
        are left to the report, said in a line under it); returns the height it takes."""
        from pptx.util import Inches, Pt

        left, top, width, height = box
        frame = frame.reset_index(drop=True)
        cells = [[_cell(v) for v in row] for row in frame.itertuples(index=False)]
        head = [str(c) for c in frame.columns]
        rows = min(len(cells), TABLE_ROWS)
        size = 14
        while True:
            widths = column_widths([head, *cells[:rows]], width, size)
            heights = [row_height(r, widths, size) for r in [head, *cells[:rows]]]
            fits = sum(heights) + (0.35 if rows < len(cells) or more else 0) <= height \
                and sum(least_widths([head, *cells[:rows]], size)) <= width  # whole words
            if fits or (size <= MIN_SIZE and rows <= 1):
                break
            if size > MIN_SIZE:
                size -= 1
            else:
                rows -= 1
        shape = slide.shapes.add_table(rows + 1, len(head), Inches(left), Inches(top),
                                       Inches(width), Inches(sum(heights)))
        table = shape.table
        for col, column_width in enumerate(widths):
            table.columns[col].width = Inches(column_width)
        for r, values in enumerate([head, *cells[:rows]]):
            table.rows[r].height = Inches(heights[r])
            for col, value in enumerate(values):
                cell = table.cell(r, col)
                cell.text = value
                cell.margin_top = cell.margin_bottom = Inches(0.03)
                cell.margin_left = cell.margin_right = Inches(0.05)
                for paragraph in cell.text_frame.paragraphs:
                    for run in paragraph.runs:
                        run.font.size = Pt(size)
                        run.font.bold = r == 0
        used = sum(heights)
        left_out = len(cells) - rows
        note = " ".join(part for part in (
            f"{left_out} more row(s) in the report and tables.xlsx." if left_out else "",
            more) if part)
        if note:
            used += 0.1 + self.text(slide, (left, top + used + 0.1, width, 0.4), [note],
                                    size=11)
        return used


def _cell(value) -> str:
    """A cell as the pages' tables show it (:func:`cxstudy.report.display.table_html`)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "–"
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        return f"{int(value):,}"
    return str(value)


# ---------------------------------------------------------------------------
# fitting text: estimates of what a line holds (Calibri-like fonts: a character is
# about half as wide as the font is high)

CHAR_WIDTH = 0.56  # of the font size (generous: a viewer may substitute a wider font)
LINE_HEIGHT = 1.25  # of the font size


def _wrapped_lines(text: str, width: float, size: float) -> int:
    per_line = max(4, int(width * 72 / (size * CHAR_WIDTH)))
    return sum(max(1, len(textwrap.wrap(part, per_line, break_long_words=True)))
               for part in str(text).split("\n"))


def text_height(paragraphs: list[str], width: float, size: float) -> float:
    """Inches that ``paragraphs`` take in a box ``width`` inches wide at ``size`` points
    (with the text box's own margins and the space after each paragraph)."""
    inner = width - 0.2
    lines = sum(_wrapped_lines(p, inner, size) for p in paragraphs)
    return (lines * LINE_HEIGHT * size + len(paragraphs) * 0.5 * size) / 72 + 0.15


def fit_size(paragraphs: list[str], width: float, height: float) -> float:
    """The largest size from 18 down to 10 points at which the paragraphs fit."""
    for size in range(MAX_SIZE, MIN_SIZE - 1, -1):
        if text_height(paragraphs, width, size) <= height:
            return size
    return MIN_SIZE


def column_widths(rows: list[list[str]], width: float, size: float) -> list[float]:
    """Column widths (inches) that share ``width``: each column at least as wide as its
    longest word at ``size`` points, the rest shared by how much more its longest text
    needs (prose wraps; figures and names do not)."""
    inch = size * CHAR_WIDTH / 72  # a character
    columns = range(len(rows[0]))
    least = least_widths(rows, size)
    wanted = [max(max(min(len(str(row[c])), 90) for row in rows) * inch + 0.16, low)
              for c, low in zip(columns, least, strict=True)]
    if sum(wanted) <= width:
        return [w * width / sum(wanted) for w in wanted]
    if sum(least) > width:  # words broken: the caller tries a smaller size first
        return [m * width / sum(least) for m in least]
    spare = width - sum(least)
    extra = [w - m for w, m in zip(wanted, least, strict=True)]
    return [m + spare * e / (sum(extra) or 1) for m, e in zip(least, extra, strict=True)]


def least_widths(rows: list[list[str]], size: float) -> list[float]:
    """Each column's longest word at ``size`` points, in inches (bold headers: +10%)."""
    inch = size * CHAR_WIDTH / 72
    return [max(len(word) for row in rows for word in [*str(row[c]).split(), "-"]) * inch
            * 1.1 + 0.16 for c in range(len(rows[0]))]


def row_height(values: list[str], widths: list[float], size: float) -> float:
    """Inches a table row takes: its tallest cell, wrapped to its column."""
    lines = max(_wrapped_lines(v, w - 0.16, size) for v, w in zip(values, widths, strict=True))
    return lines * LINE_HEIGHT * size / 72 + 0.1


# ---------------------------------------------------------------------------
# the sections, in order


def title_slide(deck: Deck, res) -> None:
    """The study's title, what it compares (its subject and audiences, by their labels:
    :func:`cxstudy.report.wording.belief_line`), who answered."""
    from .report import wording

    slide = deck.prs.slides.add_slide(deck.layout("Title Slide"))
    if slide.shapes.title is not None:
        _fill(slide.shapes.title, deck.study.title, largest=40, smallest=20)
    line = from_markdown(wording.study_line(res))  # "Title — wave 2026 — 1,234 respondents"
    subtitle = (wording.belief_line(deck.study) + "\n"
                + line.removeprefix(deck.study.title).lstrip(" —"))
    placeholders = [p for p in slide.placeholders if p.placeholder_format.idx == 1]
    if placeholders:
        _fill(placeholders[0], subtitle, largest=24, smallest=12)
    else:
        deck.text(slide, (MARGIN, deck.height * 0.6, deck.width - 2 * MARGIN, 1.2),
                  [subtitle])


def _fill(shape, text: str, *, largest: int, smallest: int) -> None:
    """Put ``text`` in a placeholder in the largest size at which it fits the
    placeholder's box (a long study title on a client's narrow title slide)."""
    from pptx.util import Pt

    shape.text = text
    width, height = shape.width / 914400, shape.height / 914400
    size = next((size for size in range(largest, smallest - 1, -2)
                 if text_height([text], width, size) <= height), smallest)
    for paragraph in shape.text_frame.paragraphs:
        for run in paragraph.runs:
            run.font.size = Pt(size)


def headline(deck: Deck, res) -> None:
    """The headline gap in a sentence per audience (the summary's callout), its chart;
    how it changed between waves is on the slides of :func:`trends`."""
    from . import plots
    from .report import wording

    study, now = res.study, res.latest
    if not study.items:
        return
    items = headline_items(study)
    widest = [wording.widest_segment_sentence(now.segments, now.gaps, study)] \
        if study.segments else []
    unshown = wording.headline_unshown_sentence(now.gaps, study)
    sentences = [from_html(s) for s in [unshown] if unshown] or [
        from_html(s) for s in wording.headline_sentences(now.gaps, now.shares, study)
        + [w for w in widest if w]  # the change: "The headline gap over the waves"
        + [wording.headline_family_note(study, now.gaps)]]
    for item in items:
        part = now.shares[now.shares["item"] == item]
        slide, (left, top, width, height) = deck.slide("The headline gap")
        used = deck.text(slide, (left, top, width, height * 0.45), sentences) \
            if sentences else 0
        sentences = []  # said once, on the first headline slide
        fig = plots.share_dots(part, study, title=study.item(item).text,
                               note=wording.suppressed_note(part, study))
        deck.picture(slide, (left, top + used + 0.1, width, height - used - 0.1), fig)


def largest(deck: Deck, res) -> None:
    """The largest significant gaps, both ways."""
    from .report import display, wording

    study, gaps = res.study, res.latest.gaps
    if not study.items:
        return
    slide, (left, top, width, height) = deck.slide("The largest gaps")
    used = deck.text(slide, (left, top, width, 1.0),
                     [from_markdown(wording.largest_gaps_note(gaps, study, top=6))])
    table = display.largest_gaps(gaps, study, top=6)
    if len(table):
        deck.table(slide, (left, top + used + 0.1, width, height - used - 0.1), table)
    else:
        uncompared = wording.uncompared_sentence(gaps, study, "item")
        deck.text(slide, (left, top + used + 0.1, width, 1),
                  [html.unescape(uncompared) if uncompared else
                   f"No audience sits significantly above {study.label(study.reference)}."])
    reverse = display.largest_gaps(gaps, study, top=6, direction=-1)
    if len(reverse):
        slide, (left, top, width, height) = deck.slide(wording.reverse_title(study))
        used = deck.text(slide, (left, top, width, 1.0), [
            f"Significant gaps where {wording.whose(study.reference, study, escape=str)} "
            "top-box share is the higher one."])
        deck.table(slide, (left, top + used + 0.1, width, height - used - 0.1), reverse)


def agreement(deck: Deck, res) -> None:
    """Where the audiences agree (equivalence), with the interval that decides it."""
    from .report import display, wording

    study = res.study
    if not study.items:
        return
    slide, (left, top, width, height) = deck.slide("Where the audiences agree")
    used = deck.text(slide, (left, top, width, 2.0),
                     [from_markdown(s) for s in [wording.agreement_note(study),
                      *wording.agreement_coverage(study, res.latest.gaps)]])
    agreed = display.agreements(res.latest.gaps, study)
    if len(agreed):
        deck.table(slide, (left, top + used + 0.1, width, height - used - 0.1), agreed)
    else:
        deck.text(slide, (left, top + used + 0.1, width, 1), [
            from_markdown(wording.agreement_none(study, res.latest.gaps))])


def calibration(deck: Deck, res) -> None:
    """What leaders and staff think the reference says, against what it says."""
    from . import plots
    from .report import wording

    study, table = res.study, res.latest.calibration if res.study.estimates else None
    if table is None or not len(table):
        return
    slide, (left, top, width, height) = deck.slide(wording.calibration_title(study))
    said = [from_html(s) for s in wording.calibration_sentences(table, study)]
    used = deck.text(slide, (left, top, width, height * 0.45), said)
    if len(table[~table["suppressed"].astype(bool)]):
        deck.picture(slide, (left, top + used + 0.1, width, height - used - 0.1),
                     plots.calibration_plot(table, study))


def metrics(deck: Deck, res) -> None:
    """The CX metrics of every audience, with n and interval."""
    from .report import display, wording

    study = res.study
    table = res.latest.metrics if study.metrics else None
    if table is None or not len(table):
        return
    slide, (left, top, width, height) = deck.slide("CX metrics")
    used = deck.text(slide, (left, top, width, 1.2),
                     [from_markdown(wording.metrics_blurb(table, study))])
    deck.table(slide, (left, top + used + 0.1, width, height - used - 0.1),
               display.metric_display(table, study))


def gap_index(deck: Deck, res) -> None:
    """The perception-gap index of each audience (an audience without one, none of its
    items compared, said in words instead of a row)."""
    from .report import display, wording

    if not res.study.items:
        return
    slide, (left, top, width, height) = deck.slide("How far apart overall")
    used = deck.text(slide, (left, top, width, 1.0), [
        "The perception-gap index: the mean absolute gap in top-box share across all items, "
        "with a bootstrap interval."])
    index = res.latest.gap_index
    note = wording.gap_index_note(index, res.latest.gaps, res.study)
    if note:
        used += deck.text(slide, (left, top + used + 0.1, width, 1.0), [html.unescape(note)])
    if (index["items"] > 0).any():
        deck.table(slide, (left, top + used + 0.1, width, height - used - 0.1),
                   display.gap_index_display(index[index["items"] > 0], res.study))


def trends(deck: Deck, res) -> None:
    """The headline items across the waves, and the changes that hold."""
    from . import plots
    from .report import wording

    study = res.study
    if len(res.waves) < 2 or not study.items:
        return
    changes = res.trends
    for item in headline_items(study):
        slide, (left, top, width, height) = deck.slide("The headline gap over the waves")
        said = [from_html(s) for s in [
            *wording.trend_sentences(changes, study, items=[item], headline=True),
            wording.headline_family_note(study, trends=changes)]]
        used = deck.text(slide, (left, top, width, height * 0.4), said)
        deck.picture(slide, (left, top + used + 0.1, width, height - used - 0.1),
                     plots.gap_slopes(res.gaps, study, item))
    moved = changes.reindex(changes["change"].abs().sort_values(ascending=False).index)
    said = [from_html(s) for s in wording.trend_sentences(moved, study, significant_only=True)]
    slide, box = deck.slide("What changed")
    deck.text(slide, box, said[:4] + ([f"{len(said) - 4} more in the report's Trends page."]
                                      if len(said) > 4 else []) if said else [
        "No gap changed by more than chance would explain, after the correction."],
        bullets=bool(said))


def segments(deck: Deck, res) -> None:
    """Where in the business the gap is widest."""
    from .report import wording

    study = res.study
    if not study.segments or not study.items:
        return
    said = [from_html(s) for s in wording.segment_sentences(res.latest.segments, study, top=4)]
    similar = wording.segments_similar_sentence(res.latest.segments, study)
    slide, box = deck.slide("Where the gap is widest")
    deck.text(slide, box, said + ([from_html(similar)] if similar else []) or [
        "The gap differs across the levels of a segment, but no level's own gap holds "
        "after the correction for multiple comparisons."], bullets=bool(said))


def theme_slide(deck: Deck, res, question) -> None:
    """The themes of one question: each audience's share of answers, with intervals."""
    from . import plots

    themes = res.latest.themes if res.study.themes is not None else None
    if themes is None or not (themes["question"] == question.id).any():
        return
    slide, box = deck.slide(f"Voices: {question.question}")
    deck.picture(slide, box, plots.theme_dots(themes, res.study, question.id,
                                              title=question.question, top=5))


def quote_slide(deck: Deck, res, question) -> None:
    """Typical answers to one question, per theme and audience (scrubbed)."""
    said = res.latest.quotes
    part = said[said["question"] == question.id] if len(said) else said
    if not len(part):
        return
    slide, (left, top, width, height) = deck.slide(f"In their own words: {question.question}")
    # every audience heard: as many answers of each (in the study's order) as six allow
    groups = [g for g in res.study.groups if g in set(part["group"])]
    each = max(1, -(-QUOTES // len(groups)))
    chosen = pd.concat([part[part["group"] == g].head(each) for g in groups]).head(QUOTES)
    shown = chosen[["label", "group", "quote"]].rename(
        columns={"label": "Theme", "group": "Audience", "quote": "Answer"})
    shown["Audience"] = res.study.labels(shown["Audience"])
    shown["Answer"] = shown["Answer"].map(lambda text: textwrap.shorten(
        str(text), 220, placeholder=" …"))
    deck.table(slide, (left, top, width, height), shown,
               more=f"{len(part) - len(shown)} more answer(s) in the report's Voices page."
               if len(part) > len(shown) else "")


def similarity_slide(deck: Deck, res, question) -> None:
    """How alike each pair of audiences answers one question (the similarity of their
    theme profiles, with its interval), in the Voices page's words and table."""
    from .report import display, wording

    if res.study.themes is None:
        return
    similarity = res.latest.voice_similarity
    part = similarity[similarity["question"] == question.id]
    if not len(part):
        return
    slide, (left, top, width, height) = deck.slide(f"How alike: {question.question}")
    said = [from_html(s) for s in wording.similarity_sentences(part, res.study)]
    used = deck.text(slide, (left, top, width, 1.2), said) if said else 0
    deck.table(slide, (left, top + used + 0.1, width, height - used - 0.1),
               display.similarity_display(part, res.study).drop(columns="Question"))


VOICE_SLIDES: tuple[Callable[[Deck, Any, Any], None], ...] = (
    theme_slide, similarity_slide, quote_slide)
"""The slides of each open-ended question, in order: ``slide(deck, results, question)``."""


def voices(deck: Deck, res) -> None:
    """The open answers: what the audiences say (the summary's sentences), question by
    question (:data:`VOICE_SLIDES`), and the tone of the answers."""
    open_answers(deck, res)
    for question in res.study.open_ended:
        for make in VOICE_SLIDES:
            make(deck, res, question)
    tone(deck, res)


def open_answers(deck: Deck, res) -> None:
    """The themes every audience names, those only one names, the largest differences and
    the strength/problem disagreements (:func:`cxstudy.report.open_answer_sentences`)."""
    from .report import wording

    if not res.study.open_ended or res.study.themes is None:
        return
    said = [from_html(s) for s in wording.open_answer_sentences(
        res.latest.themes, res.study, limit=BULLETS)]
    if not said:
        return
    slide, box = deck.slide("What the audiences say")
    deck.text(slide, box, said, bullets=True)


def tone(deck: Deck, res) -> None:
    """The tone of the answers per question and audience, with the gap to the reference
    (the Voices page's sentences and table)."""
    from .report import display, wording

    if not res.study.open_ended:
        return
    table = res.latest.tone
    if not len(table):
        return
    slide, (left, top, width, height) = deck.slide("The tone of the answers")
    said = [from_markdown(s) for s in wording.tone_sentences(table, res.study)]
    used = deck.text(slide, (left, top, width, height * 0.4), said[:BULLETS]) if said else 0
    deck.table(slide, (left, top + used + 0.1, width, height - used - 0.1),
               display.tone_display(table, res.study))


def data_quality(deck: Deck, res) -> None:
    """What was read and kept, and what is not shown."""
    from .report import wording

    study, now = res.study, res.latest
    lines = []
    if registry.TABLES["dropped"].present(res):  # the log, or its counts (run in blocks)
        lines.append(wording.quality_line(res.dropped, res.sources, study))
    if study.items:
        lines.append(wording.suppressed_note(now.shares, study))
    lines.append(f"No figure rests on fewer than {study.min_group_size} respondents. Every "
                 "table is in tables.xlsx; every rule and dropped row on the report's Data "
                 "quality page.")
    slide, box = deck.slide("Data quality")
    deck.text(slide, box, [line for line in lines if line])


def method(deck: Deck, res) -> None:
    """The method notes of the summary, as bullets."""
    from .report import wording

    notes = [from_markdown(line.removeprefix("- ").strip()) for line in
             wording.method_notes(res.study).splitlines() if line.strip()]
    slide, box = deck.slide("Method")
    deck.text(slide, box, notes, bullets=True)


SECTIONS: tuple[Callable[[Deck, Any], None], ...] = (
    title_slide, headline, largest, agreement, calibration, metrics, gap_index, trends,
    segments, voices, data_quality, method)
"""The deck's sections in order; each adds its slides, or none where the study lacks
what it needs."""


def write_deck(res, path: str | Path) -> Deck:
    """Write the deck of a study's results to ``path``.

    Parameters
    ----------
    res : Results
        The study's results (:func:`cxstudy.analyze`; what ``cxstudy run`` computed).
    path : str or Path
        The ``.pptx`` to write.

    Returns
    -------
    Deck
        What was built (``prs``, the presentation; ``charts`` and their ``alt_texts``).
    """
    import matplotlib

    from . import plots

    study = res.study
    deck = Deck(open_template(study.deliverables.deck_template), study)
    with matplotlib.rc_context():
        plots.style()
        for section in SECTIONS:
            section(deck, res)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    deck.prs.save(str(path))
    return deck


def slide_texts(path: str | Path) -> list[list[str]]:
    """Every slide's text (titles, text boxes, table cells), slide by slide: what a test
    or a reader checks against the pages."""
    from pptx import Presentation

    slides = []
    for slide in Presentation(str(path)).slides:
        texts = []
        for shape in slide.shapes:
            if shape.has_text_frame:
                texts.extend(p.text for p in shape.text_frame.paragraphs if p.text)
            if getattr(shape, "has_table", False) and shape.has_table:
                texts.extend(cell.text for row in shape.table.rows for cell in row.cells)
        slides.append(texts)
    return slides

