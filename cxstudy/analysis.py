"""One study, one set of tables: :func:`analyze` and its :class:`Results`.

Every table of a study is an attribute of :class:`Results`, computed the first time it
is asked for and kept: the counting pass, the theme coding and the bootstrap of the
perception-gap index run once however many pages use them. ``cxstudy run`` computes
the tables once, writes them to ``tables/*.csv`` and hands them to the report
notebooks (:meth:`Results.save`, :meth:`Results.load`); a notebook run on its own
computes what it shows.
"""

from __future__ import annotations

import functools
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from . import counts as counts_module
from . import gaps as gaps_module
from . import metrics as metrics_module
from . import quality
from . import segments as segments_module
from . import voices as voices_module
from . import waves as waves_module
from ._files import write_csv
from ._version import __version__
from .exceptions import ReportError
from .model import Study
from .processed import load_processed
from .study import load_study
from .tables import SPECS, TableSpec

# attribute -> the table spec whose CSV it is written as
WRITTEN: dict[str, TableSpec] = {
    "gaps": SPECS["gaps"], "dimensions": SPECS["dimension_gaps"], "shares": SPECS["shares"],
    "kruskal": SPECS["kruskal"], "gap_index": SPECS["perception_gap_index"],
    "blind_spots": SPECS["blind_spots"], "metrics": SPECS["metrics"],
    "metric_gaps": SPECS["metric_gaps"], "calibration": SPECS["calibration"],
    "themes": SPECS["themes"], "importance": SPECS["importance_performance"],
    "trends": SPECS["trends"], "dimension_trends": SPECS["dimension_trends"],
    "metric_trends": SPECS["metric_trends"], "segments": SPECS["segments"],
}
TRENDS = ("trends", "dimension_trends", "metric_trends")
# tables computed within each wave and stacked (the trends compare waves instead)
WAVED = {name for name in WRITTEN if name not in TRENDS} | {"coded", "quotes"}
# what the data-quality page shows of the cleaning, for the study as a whole
QUALITY = ("dropped", "rows_by_rule", "not_checked", "dropped_examples", "missing", "weights")


class Results:
    """Every table of one study, each computed once, on demand.

    Attributes are the tables of ``docs/outputs.md`` as tidy frames: ``gaps``,
    ``dimensions``, ``shares``, ``kruskal``, ``gap_index``, ``blind_spots``,
    ``metrics``, ``metric_gaps``, ``calibration``, ``themes``, ``importance``; and what
    they are made from: ``counts`` (:func:`~cxstudy.level_counts`), ``codebook``,
    ``coded`` (every open answer's themes), ``quotes`` and :meth:`words`; and what
    cleaning did and the answers lack, for the data-quality page (:mod:`cxstudy.quality`):
    ``dropped``, ``rows_by_rule``, ``not_checked``, ``dropped_examples``, ``missing``,
    ``weights``.
    ``computed`` lists what this object computed itself, in order.

    In a study with waves every table is computed within each wave (:meth:`wave` gives
    one wave's results, :attr:`latest` the last wave's) and stacked with a ``wave``
    column; ``trends``, ``dimension_trends`` and ``metric_trends`` hold the change
    between consecutive waves.

    Examples
    --------
    >>> import cxstudy as cx
    >>> res = cx.analyze("studies/example.yml")  # doctest: +SKIP
    >>> res.gaps.query("item == 'excellent'")     # doctest: +SKIP
    >>> res.write_tables("reports/example/tables")  # doctest: +SKIP
    """

    def __init__(self, study: Study, responses: pd.DataFrame | None, *,
                 log: pd.DataFrame | None = None, sources: pd.DataFrame | None = None,
                 tables: dict[str, Any] | None = None, waves: list[str] | None = None,
                 load: Callable[[], tuple[pd.DataFrame, pd.DataFrame | None]] | None = None):
        self.study = study
        self._responses = responses
        self._log = log
        self._load = load  # (responses, log) when first asked for: a page that shows none
        self.sources = sources  # of them never reads the cleaned data
        self._tables: dict[str, Any] = dict(tables or {})
        self._computed: list[str] = []
        self.waves: list[str] = waves if waves is not None else waves_module.waves_in(
            responses, study)
        self._children: dict[str, Results] = {}

    @property
    def responses(self) -> pd.DataFrame:
        """The cleaned responses the tables are computed from."""
        if self._responses is None:
            self._responses, log = self._load()
            self._log = self._log if self._log is not None else log
        return self._responses

    @property
    def log(self) -> pd.DataFrame | None:
        """The cleaning log (every input row), when known."""
        if self._log is None and self._load is not None and self._responses is None:
            self.responses  # noqa: B018 - loads both
        return self._log

    @property
    def computed(self) -> list[str]:
        """What this object (and its waves, as ``wave/name``) computed, in order."""
        return self._computed + [f"{wave}/{name}" for wave, child in self._children.items()
                                 for name in child.computed]

    @property
    def _several_waves(self) -> bool:
        return len(self.waves) > 1

    def wave(self, wave: str) -> Results:
        """The results of one wave (its tables carry that wave in their ``wave`` column)."""
        if not self._several_waves:
            if wave in self.waves:
                return self
            raise KeyError(f"no wave {wave!r} in these responses (waves: {self.waves})")
        if wave not in self._children:
            if wave not in self.waves:
                raise KeyError(f"no wave {wave!r} in these responses (waves: {self.waves})")
            self._children[wave] = Results(
                self.study, None, sources=self.sources, tables={"codebook": self.codebook},
                waves=[wave], load=lambda: (waves_module.one_wave(self.responses, wave),
                                            self.log))
        return self._children[wave]

    @property
    def latest(self) -> Results:
        """The last wave's results (the study's own in a study without waves): what the
        report's pages show."""
        return self.wave(self.waves[-1]) if self._several_waves else self

    def _get(self, name: str, compute: Callable[[], Any]) -> Any:
        if name not in self._tables:
            if self._several_waves and name in WAVED:
                compute = functools.partial(self._stacked, name)
            self._tables[name] = compute()
            self._computed.append(name)
        return self._tables[name]

    def _stacked(self, name: str) -> Any:
        """A table of every wave, computed within each wave."""
        return waves_module.stack([getattr(self.wave(w), name) for w in self.waves])

    # -- the counting pass and the item tables -------------------------------------

    @property
    def counts(self) -> counts_module.LevelCounts:
        """The answer counts (of one wave: counts are never pooled across waves)."""
        if self._several_waves:
            raise ValueError("counts are made within a wave: use res.wave(WAVE).counts or "
                             "res.latest.counts (waves: " + ", ".join(self.waves) + ")")
        return self._get("counts", lambda: counts_module.level_counts(self.responses,
                                                                      self.study))

    @property
    def gaps(self) -> pd.DataFrame:
        return self._get("gaps", lambda: gaps_module.gap_table(
            self.responses, self.study, counts=self.counts))

    @property
    def shares(self) -> pd.DataFrame:
        return self._get("shares", lambda: gaps_module.share_table(
            self.responses, self.study, counts=self.counts))

    @property
    def dimensions(self) -> pd.DataFrame:
        return self._get("dimensions", lambda: gaps_module.dimension_gaps(
            self.responses, self.study, counts=self.counts))

    @property
    def kruskal(self) -> pd.DataFrame:
        return self._get("kruskal", lambda: gaps_module.kruskal_table(
            self.responses, self.study, counts=self.counts))

    @property
    def gap_index(self) -> pd.DataFrame:
        return self._get("gap_index", lambda: gaps_module.perception_gap_index(
            self.responses, self.study, counts=self.counts))

    @property
    def blind_spots(self) -> pd.DataFrame:
        return self._get("blind_spots", lambda: gaps_module.blind_spots(self.gaps, self.study))

    # -- metrics, beliefs, importance -------------------------------------------------

    @property
    def metrics(self) -> pd.DataFrame:
        return self._get("metrics", lambda: metrics_module.metric_table(self.responses,
                                                                        self.study))

    @property
    def metric_gaps(self) -> pd.DataFrame:
        return self._get("metric_gaps", lambda: metrics_module.metric_gaps(
            self.responses, self.study, metrics=self.metrics))

    @property
    def calibration(self) -> pd.DataFrame:
        return self._get("calibration", lambda: metrics_module.calibration_table(
            self.responses, self.study, shares=self.shares))

    @property
    def importance(self) -> pd.DataFrame:
        """Importance-performance of the reference audience; empty, with the reason in
        ``attrs["reason"]``, when the study gives no outcome to derive importance from."""
        def compute() -> pd.DataFrame:
            try:
                return metrics_module.importance_performance(self.responses, self.study,
                                                             shares=self.shares)
            except ValueError as reason:
                empty = pd.DataFrame(columns=SPECS["importance_performance"].all_columns)
                empty.attrs["reason"] = str(reason)
                return empty
        return self._get("importance", compute)

    # -- open answers -------------------------------------------------------------------

    @property
    def codebook(self) -> voices_module.Codebook | None:
        return self._get("codebook", lambda: voices_module.study_codebook(self.study))

    @property
    def coded(self) -> pd.DataFrame:
        """Every open answer with its themes (the theme coding, done once)."""
        return self._get("coded", lambda: voices_module.code_answers(
            self.responses, self.study, self.codebook) if self.codebook else pd.DataFrame(
            columns=["row", "question", "group", "weight", "theme", "text"]))

    @property
    def themes(self) -> pd.DataFrame:
        return self._get("themes", lambda: voices_module.theme_table(
            self.responses, self.study, self.codebook, coded=self.coded))

    @property
    def quotes(self) -> pd.DataFrame:
        return self._get("quotes", lambda: voices_module.quotes(
            self.responses, self.study, self.codebook, per_theme=1, coded=self.coded))

    def words(self, question: str, top: int = 6) -> pd.DataFrame:
        """Distinguishing words of each audience's answers to one question."""
        if self._several_waves:
            return self._get(f"words:{question}:{top}", lambda: waves_module.stack(
                [self.wave(w).words(question, top) for w in self.waves]))
        return self._get(f"words:{question}:{top}", lambda: voices_module.distinguishing_words(
            self.responses, self.study, question, top=top))

    # -- change between waves -----------------------------------------------------------

    @property
    def trends(self) -> pd.DataFrame:
        """How each item's gap changed between consecutive waves (trends.csv)."""
        return self._get("trends", lambda: waves_module.trend_table(
            self.responses, self.study,
            counts={w: self.wave(w).counts for w in self.waves} if self._several_waves
            else None))

    @property
    def dimension_trends(self) -> pd.DataFrame:
        return self._get("dimension_trends", lambda: waves_module.dimension_trends(
            self.dimensions, self.study))

    @property
    def metric_trends(self) -> pd.DataFrame:
        return self._get("metric_trends", lambda: waves_module.metric_trends(
            self.metrics, self.study))

    @property
    def segments(self) -> pd.DataFrame:
        """Every item's gap within every level of every segment (segments.csv)."""
        return self._get("segments", lambda: segments_module.segment_table(
            self.responses, self.study, counts=self.counts))

    @property
    def respondents(self) -> pd.Series:
        """Respondents per audience (in the study's order of audiences)."""
        return self._get("respondents", lambda: self.responses["group"].value_counts(
            sort=False).reindex(list(self.study.groups), fill_value=0))

    @property
    def returning(self) -> pd.DataFrame:
        """Respondents per audience in each wave, and how many answered in more than one."""
        return self._get("returning", lambda: waves_module.returning_respondents(
            self.responses, self.study))

    # -- what cleaning did (every wave: cleaning accounts for every input row) -----------

    def _cleaning_log(self) -> pd.DataFrame:
        if self.log is None:
            raise ValueError("these results have no cleaning log: make them with "
                             "cx.analyze(study_file), which reads and cleans the exports")
        return self.log

    @property
    def dropped(self) -> pd.Series:
        """Rows dropped by each cleaning rule (reason -> rows), most first."""
        return self._get("dropped", lambda: quality.dropped_by_reason(self._cleaning_log()))

    @property
    def rows_by_rule(self) -> pd.DataFrame:
        """Rows in, dropped by each rule and kept, per audience."""
        return self._get("rows_by_rule", lambda: quality.rows_by_rule(self._cleaning_log(),
                                                                      self.study))

    @property
    def not_checked(self) -> pd.DataFrame:
        """Rules not applied to an export because it lacks their column."""
        return self._get("not_checked", lambda: quality.not_checked(self._cleaning_log()))

    @property
    def dropped_examples(self) -> pd.DataFrame:
        """The first three dropped rows of each rule, with why."""
        return self._get("dropped_examples",
                         lambda: quality.dropped_examples(self._cleaning_log()))

    @property
    def missing(self) -> pd.DataFrame:
        """Share of each audience (of the minimum size) without an answer to each item."""
        return self._get("missing", lambda: quality.missing_shares(self.responses, self.study))

    @property
    def weights(self) -> pd.DataFrame:
        """Spread and design effect of the weights (empty in a study without weights)."""
        return self._get("weights", lambda: quality.weights_display(self.responses,
                                                                    self.study))

    # -- what the study has, writing, handing over --------------------------------------

    @property
    def available(self) -> list[str]:
        """The tables this study has (a metrics table only with metrics, and so on);
        asking computes nothing."""
        study = self.study
        outcome = any(i.importance or i.headline for i in study.items) or any(
            m.kind == "nps" for m in study.metrics)
        present = {"metrics": bool(study.metrics), "metric_gaps": bool(study.metrics),
                   "calibration": bool(study.estimates), "themes": study.themes is not None,
                   "importance": outcome, "trends": self._several_waves,
                   "dimension_trends": self._several_waves,
                   "metric_trends": self._several_waves and bool(study.metrics),
                   "segments": bool(study.segments)}
        return [name for name in WRITTEN if present.get(name, True)]

    def write_tables(self, folder: str | Path) -> dict[str, Path]:
        """Write every available table as ``<folder>/<name>.csv``; returns name -> path."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        written = {}
        for name in self.available:
            spec = WRITTEN[name]
            if name == "importance" and self.importance.empty:
                continue  # no item to rate (every item is an outcome or an importance)
            path = folder / f"{spec.name}.csv"
            write_csv(getattr(self, name), path)
            written[spec.name] = path
        return written

    def for_pages(self) -> Results:
        """Compute everything the report's pages show: every table, the quotes, the
        returning respondents, what cleaning did and each question's distinguishing
        words, for the study and for each wave."""
        cleaning = QUALITY if self.log is not None else ("missing", "weights")
        for name in [*self.available, "quotes", "returning", *cleaning]:
            getattr(self, name)
        for results in (self, *(self.wave(w) for w in self.waves)):
            results.respondents  # noqa: B018 - computed to be kept
            for question in self.study.open_ended:
                results.words(question.id)
        return self

    def save(self, path: str | Path) -> Path:
        """Keep every table computed so far in one file for the report notebooks
        (not ``coded``, the answers with their themes: the tables made from it are kept)."""
        def kept(tables: dict[str, Any]) -> dict[str, Any]:
            return {name: table for name, table in tables.items() if name != "coded"}

        path = Path(path)
        with path.open("wb") as handle:
            pickle.dump({"cxstudy": __version__, "slug": self.study.slug,
                         "waves_present": self.waves, "sources": self.sources,
                         "tables": kept(self._tables),
                         "waves": {w: kept(child._tables)
                                   for w, child in self._children.items()}},
                        handle, protocol=pickle.HIGHEST_PROTOCOL)
        return path

    @classmethod
    def handed(cls, study: Study, path: str | Path, processed: str | Path = "") -> Results:
        """The results :meth:`save` kept (written by this run of ``cxstudy run``); the
        cleaned data of ``processed`` is read only if a table not kept is asked for."""
        with Path(path).open("rb") as handle:
            kept = pickle.load(handle)
        if kept.get("slug") != study.slug or kept.get("cxstudy") != __version__:
            raise ReportError(f"{path} holds tables of another study or cxstudy version; "
                              "rerun cxstudy run")

        def load() -> tuple[pd.DataFrame, pd.DataFrame]:
            responses, log, _sources = load_processed(study, processed)
            return responses, log

        results = cls(study, None, sources=kept["sources"], tables=kept["tables"],
                      waves=kept["waves_present"], load=load)
        for wave, tables in kept["waves"].items():
            results.wave(wave)._tables.update(tables)
        return results

    def __repr__(self) -> str:
        study = self.study
        sizes = self.responses["group"].value_counts()
        lines = [
            f"cxstudy Results: {study.title!r} ({study.slug})",
            "  respondents: " + ", ".join(f"{g} {int(sizes.get(g, 0)):,}" for g in study.groups)
            + f" (reference: {study.reference})",
            f"  items: {len(study.items)} in {len(study.dimensions)} dimension(s)"
            + (f"; metrics: {', '.join(m.id for m in study.metrics)}" if study.metrics else "")
            + (f"; estimates: {len(study.estimates)}" if study.estimates else "")
            + (f"; open-ended: {len(study.open_ended)}" if study.open_ended else ""),
            *([f"  waves: {', '.join(self.waves)} (res.latest: {self.waves[-1]})"]
              if self.waves else []),
            "  tables: " + ", ".join(self.available),
            "  computed: " + (", ".join(n for n in self._tables if ":" not in n) or "nothing yet"),
        ]
        return "\n".join(lines)


def analyze(study: str | Path | Study, responses: pd.DataFrame | None = None, *,
            processed: str | Path = "") -> Results:
    """Every table of a study, each computed once, on demand.

    Parameters
    ----------
    study : str, Path or Study
        The study file (or a loaded study).
    responses : pandas.DataFrame, optional
        Cleaned responses; by default those of ``processed``.
    processed : str or Path
        The folder ``cxstudy run`` wrote cleaned data to; ``""`` (default): the
        study's own ``data/processed/<slug>/`` when it is newer than the study file
        and every export, otherwise the exports are read and cleaned now (nothing is
        written).

    Returns
    -------
    Results
        The study's tables as attributes (``gaps``, ``dimensions``, ``shares``,
        ``kruskal``, ``gap_index``, ``blind_spots``, ``metrics``, ``metric_gaps``,
        ``calibration``, ``themes``, ``importance``; ``trends`` and the other changes
        between waves in a study with waves), each computed on first use, once; see
        :class:`Results` and docs/outputs.md for their columns.

    Examples
    --------
    >>> import cxstudy as cx
    >>> res = cx.analyze("studies/example.yml")  # doctest: +SKIP
    >>> res                                        # doctest: +SKIP
    cxstudy Results: 'Larkfield Home Energy — perception gap 2026' (example) ...
    """
    if not isinstance(study, Study):
        study = load_study(study)
    if responses is not None:
        return Results(study, responses)
    responses, log, sources = load_processed(study, processed)
    return Results(study, responses, log=log, sources=sources)

