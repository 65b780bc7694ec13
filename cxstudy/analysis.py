"""One study, one set of tables: :func:`analyze` and its :class:`Results`.

Every table of a study is an attribute of :class:`Results`, computed the first time it
is asked for and kept: the counting pass, the theme coding and the bootstrap of the
perception-gap index run once however many pages use them. ``cxstudy run`` computes
the tables once, writes them to ``tables/*.csv`` and hands them to the report
notebooks (:meth:`Results.save`, :meth:`Results.load`); a notebook run on its own
computes what it shows.
"""

from __future__ import annotations

import html
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from . import registry
from . import voices as voices_module
from . import waves as waves_module
from ._files import write_csv
from ._version import __version__
from .exceptions import ReportError
from .model import Study
from .processed import load_processed
from .study import load_study


class Results:
    """Every table of one study, each computed once, on demand.

    The tables are the entries of :data:`cxstudy.registry.TABLES`, each an attribute:
    those of ``docs/outputs.md`` as tidy frames (``gaps``, ``dimensions``, ``shares``,
    ``kruskal``, ``gap_index``, ``blind_spots``, ``metrics``, ``metric_gaps``,
    ``calibration``, ``themes``, ``importance``, ``trends``, ``dimension_trends``,
    ``metric_trends``, ``segments``); what they are made from (``counts``, ``codebook``,
    ``coded``: every open answer's themes), ``quotes`` and :meth:`words`; who answered
    (``respondents``, ``returning``) and what cleaning did, for the data-quality page
    (:mod:`cxstudy.quality`: ``dropped``, ``rows_by_rule``, ``not_checked``,
    ``dropped_examples``, ``missing``, ``weights``). ``computed`` lists what this object
    computed itself, in order; :attr:`available` the tables the study has.

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
                 load: Callable[[], tuple[pd.DataFrame, pd.DataFrame | None]] | None = None,
                 parent: Results | None = None):
        self.study = study
        self._responses = responses
        self._log = log
        self._load = load  # (responses, log) when first asked for: a page that shows none
        self.sources = sources  # of them never reads the cleaned data
        self._tables: dict[str, Any] = dict(tables or {})
        self._computed: list[str] = []
        self.waves: list[str] = waves if waves is not None else waves_module.waves_in(
            responses, study)
        self._parent = parent  # the study's results, for a wave's
        self._children: dict[str, Results] = {}

    @classmethod
    def from_counts(cls, study: Study, counts: dict[str | None, dict[str, Any]], *,
                    log: pd.DataFrame | None = None,
                    sources: pd.DataFrame | None = None,
                    load: Callable[[], tuple[pd.DataFrame, pd.DataFrame | None]] | None = None
                    ) -> Results:
        """The results of counts made anywhere: block by block as a run reads the exports,
        by SQL over the processed parquet, or on a warehouse.

        Parameters
        ----------
        study : Study
        counts : dict
            wave -> {counts table: its value} (``None`` as the wave of a study without
            waves), as :meth:`counted` returns them; the counts tables are those of
            :data:`cxstudy.registry.COUNTS`. The waves are those given, in the study's
            order.
        log, sources : pandas.DataFrame, optional
            The cleaning log and the exports' table, for the data-quality tables.
        load : callable, optional
            Returns (responses, log) of the same respondents, e.g. from the processed
            parquet a run wrote: called only if a table still made from the responses
            is asked for.

        Returns
        -------
        Results
            No responses are held (unless ``load`` is called): a table is made from the
            counts and other tables.
        """
        waves = [w for w in study.waves if w in counts] if study.waves else []
        unknown = [w for w in counts if w is not None and w not in waves]
        if unknown or (not study.waves and set(counts) - {None}):
            raise ValueError(f"counts of wave(s) {unknown or list(counts)} that the study "
                             f"does not declare (waves: {study.waves or 'none'})")
        one = waves[0] if len(waves) == 1 else None
        results = cls(study, None, log=log, sources=sources, waves=waves, load=load,
                      tables=counts[one] if len(waves) <= 1 else None)
        if len(waves) > 1:
            for wave in waves:
                results.wave(wave)._tables.update(counts[wave])
        return results

    def counted(self) -> dict[str | None, dict[str, Any]]:
        """Every counts table of every wave (:data:`cxstudy.registry.COUNTS`), as
        :meth:`from_counts` takes them: wave -> {name: counts} (wave ``None`` in a study
        without waves). Counts of disjoint respondents add up (:func:`add_counts`)."""
        waves = self.waves if self._several_waves else [self.waves[0] if self.waves else None]
        return {wave: {name: (self.wave(wave) if wave is not None else self).table(name)
                       for name, entry in registry.COUNTS.items() if entry.present(self)}
                for wave in waves}

    @property
    def responses(self) -> pd.DataFrame:
        """The cleaned responses the tables are computed from."""
        if self._responses is None:
            if self._load is None:
                raise ValueError(
                    "these results were made from counts (Results.from_counts) and hold no "
                    "responses; a table made from the responses needs them: give them to "
                    "cx.analyze(study, responses)")
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
                self.study, None, sources=self.sources, waves=[wave], parent=self,
                load=lambda: (waves_module.one_wave(self.responses, wave), self.log))
        return self._children[wave]

    @property
    def latest(self) -> Results:
        """The last wave's results (the study's own in a study without waves): what the
        report's pages show."""
        return self.wave(self.waves[-1]) if self._several_waves else self

    def table(self, name: str) -> Any:
        """The table ``name`` of :data:`cxstudy.registry.TABLES`, computed the first time
        it is asked for (within each wave and stacked, for a table computed per wave).
        A table the study lacks what it needs for is absent: empty, with its contract's
        columns and why in ``attrs["absent"]`` (:func:`cxstudy.registry.absent`)."""
        if name not in self._tables:
            entry = registry.TABLES[name]
            if not entry.present(self):  # e.g. gaps of a study without items
                return registry.absent(entry, self)
            if entry.scope == "study" and self._parent is not None:
                return self._parent.table(name)
            if entry.scope == "one wave" and self._several_waves:
                raise ValueError(f"{name} are made within a wave: use res.wave(WAVE).{name} "
                                 f"or res.latest.{name} (waves: {', '.join(self.waves)})")
            if entry.scope == "wave" and self._several_waves:
                value = waves_module.stack([self.wave(w).table(name) for w in self.waves])
            else:
                value = entry.compute(self)
                if entry.spec is not None and entry.scope == "wave" and self.study.waves \
                        and self.waves and "wave" not in value.columns:
                    value = waves_module.with_wave(value, self.waves[0])  # its contract
            self._tables[name] = value
            self._computed.append(name)
        return self._tables[name]

    def words(self, question: str, top: int = 6) -> pd.DataFrame:
        """Distinguishing words of each audience's answers to one question."""
        key = f"words:{question}:{top}"
        if key not in self._tables:
            self._tables[key] = waves_module.stack(
                [self.wave(w).words(question, top) for w in self.waves]
            ) if self._several_waves else voices_module.distinguishing_words(
                self.responses, self.study, question, top=top)
            self._computed.append(key)
        return self._tables[key]

    # -- what the study has, writing, handing over --------------------------------------

    @property
    def available(self) -> list[str]:
        """The tables this study writes (a metrics table only with metrics, and so on);
        asking computes nothing."""
        return [name for name, entry in registry.WRITTEN.items() if entry.present(self)]

    @property
    def pages(self) -> list[registry.Page]:
        """The report pages this study has (:func:`cxstudy.registry.pages_for`)."""
        return registry.pages_for(self)

    def write_tables(self, folder: str | Path) -> dict[str, Path]:
        """Write every available table as ``<folder>/<name>.csv``; returns name -> path."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        written = {}
        for name, table in self.written_tables().items():
            path = folder / f"{name}.csv"
            write_csv(table, path)
            written[name] = path
        return written

    def written_tables(self) -> dict[str, pd.DataFrame]:
        """The tables a run writes, by their CSV name (``gaps``, ``shares``, ...), in the
        order of ``docs/outputs.md``: those the study has, not those empty by design."""
        tables = {}
        for name in self.available:
            entry, table = registry.WRITTEN[name], self.table(name)
            if entry.skip_empty and table.empty:
                continue  # e.g. importance: no item to rate (each is an outcome)
            tables[entry.spec.name] = table
        return tables

    def for_pages(self) -> Results:
        """Compute everything the report's pages show: every table a page of this study
        shows, for the study, and who answered and each question's distinguishing words
        for each wave too."""
        shown = {page.notebook for page in self.pages}
        for name, entry in registry.TABLES.items():
            if entry.page in shown and entry.present(self):
                self.table(name)
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

        def counted(responses: pd.DataFrame) -> str:
            sizes = responses["group"].value_counts()
            return ", ".join(f"{study.label(g)} {int(sizes.get(g, 0)):,}" for g in study.groups)

        if self._several_waves:  # each wave apart: a returning respondent is in each
            wave = self.responses["wave"].astype("string")
            sizes = [f"  respondents in {w}: " + counted(self.responses[(wave == w).to_numpy()])
                     for w in self.waves]
            sizes[-1] += f" (reference: {study.label(study.reference)})"
            returning = waves_module.returning_respondents(self.responses, study)
            if returning["returning"].sum():
                sizes.append("  answered in more than one wave (counted in each): " + ", ".join(
                    f"{study.label(r.group)} {int(r.returning):,}"
                    for r in returning.itertuples() if r.returning))
        else:
            sizes = [f"  respondents{f' in {self.waves[0]}' if self.waves else ''}: "
                     + counted(self.responses)
                     + f" (reference: {study.label(study.reference)})"]
        lines = [
            f"cxstudy Results: {study.title!r} ({study.slug})",
            *sizes,
            f"  items: {len(study.items)} in {len(study.dimensions)} dimension(s)"
            + (f"; metrics: {', '.join(m.id for m in study.metrics)}" if study.metrics else "")
            + (f"; estimates: {len(study.estimates)}" if study.estimates else "")
            + (f"; open-ended: {len(study.open_ended)}" if study.open_ended else "")
            + (f"; choice questions: {len(study.choices)}" if study.choices else ""),
            *([f"  waves: {', '.join(self.waves)} (res.latest: {self.waves[-1]})"]
              if self.waves else []),
            "  tables: " + ", ".join(self.available),
            "  computed: " + (", ".join(n for n in self._tables if ":" not in n) or "nothing yet"),
        ]
        return "\n".join(lines)


    def _repr_html_(self) -> str:
        """A compact summary for JupyterLab: the study, its audiences (their labels) with
        the respondents of each in each wave, the tables it has with what each holds, and
        how to get one. Everything from the study file is escaped."""
        study = self.study
        esc = html.escape
        responses = self.responses
        waves = self.waves or [""]
        if self.waves and "wave" in responses.columns:
            sizes = responses.groupby(["group", "wave"], observed=True).size()

            def count(group: str, wave: str) -> int:
                return int(sizes.get((group, wave), 0))
        else:
            flat = responses["group"].value_counts()

            def count(group: str, wave: str) -> int:
                return int(flat.get(group, 0))
        head = "".join(f"<th>{esc(w)}</th>" if w else "<th>respondents</th>" for w in waves)
        audiences = "".join(
            f"<tr><td>{esc(study.label(g))}"
            + (" (reference)" if g == study.reference else "")
            + ("" if study.label(g) == g else f" <code>{esc(g)}</code>") + "</td>"
            + "".join(f"<td style='text-align:right'>{count(g, w):,}</td>" for w in waves)
            + "</tr>" for g in study.groups)
        tables = "".join(
            f"<tr><td><code>{esc(name)}</code></td><td>{esc(registry.TABLES[name].doc)}"
            "</td></tr>" for name in self.available)
        latest = self.waves[-1] if self.waves else None
        waves_line = (f"<p>Waves: {esc(', '.join(self.waves))}; the pages show the latest, "
                      f"<code>res.latest</code> ({esc(latest)}).</p>"
                      if len(self.waves) > 1 else "")
        example = next(iter(self.available), "gaps")
        how = (f"<p>Get a table as a DataFrame: <code>res.{esc(example)}</code>"
               + (f"; one wave's: <code>res.wave({esc(repr(latest))}).{esc(example)}</code>"
                  if len(self.waves) > 1 else "")
               + "; every table as CSV: <code>res.write_tables(\"tables\")</code>.</p>")
        return (f"<div class='cx-results'><p><b>cxstudy Results</b>: {esc(study.title)} "
                f"(<code>{esc(study.slug)}</code>)</p>"
                f"<table><thead><tr><th>Audience</th>{head}</tr></thead>"
                f"<tbody>{audiences}</tbody></table>{waves_line}"
                f"<details><summary>{len(self.available)} tables</summary>"
                f"<table><tbody>{tables}</tbody></table></details>{how}</div>")


def add_counts(first: dict[str | None, dict[str, Any]],
               second: dict[str | None, dict[str, Any]]) -> dict[str | None, dict[str, Any]]:
    """The counts of two disjoint sets of respondents together.

    Parameters
    ----------
    first, second : dict
        :meth:`Results.counted` of each set: wave -> {counts table: value}.

    Returns
    -------
    dict
        Each counts table of a wave added with ``+``; a wave or table only one side has
        is taken as it is.
    """
    together = {wave: dict(tables) for wave, tables in first.items()}
    for wave, tables in second.items():
        mine = together.setdefault(wave, {})
        for name, value in tables.items():
            mine[name] = mine[name] + value if name in mine else value
    return together


def analyze(study: str | Path | Study, responses: pd.DataFrame | None = None, *,
            processed: str | Path = "",
            counts: dict[str | None, dict[str, Any]] | None = None) -> Results:
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
    counts : dict, optional
        Counts made elsewhere, wave -> {counts table: value}
        (:meth:`Results.from_counts`): the tables are made from them, no responses read.

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
    if counts is not None:
        return Results.from_counts(study, counts)
    if responses is not None:
        return Results(study, responses)
    responses, log, sources = load_processed(study, processed)
    return Results(study, responses, log=log, sources=sources)



def _table_property(entry: registry.Table) -> property:
    def get(self: Results) -> Any:
        return self.table(entry.name)

    get.__name__ = entry.name
    get.__doc__ = entry.doc
    return property(get)


for _entry in registry.TABLES.values():  # res.gaps, res.themes, ...: one per table
    setattr(Results, _entry.name, _table_property(_entry))
