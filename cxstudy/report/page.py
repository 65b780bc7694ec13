"""Setting up a report page: parameters, style, figures with alt text, the study's tables."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pandas as pd

from ..analysis import Results, analyze
from ..study import load_study


def setup(study: str, processed: str = "", results: str = "") -> Results:
    """The first call of every report notebook.

    Checks the notebook's parameters, sets the report style and returns the study's
    :class:`~cxstudy.analysis.Results`: the tables ``cxstudy run`` computed once and
    handed over in ``results``, or (a notebook opened in JupyterLab or run with plain
    papermill) computed here when first shown.

    Parameters
    ----------
    study : str
        The study file, as a path from the project root (or absolute).
    processed : str
        The cleaned-data folder ``cxstudy run`` wrote; ``""``: the study's own.
    results : str
        The tables ``cxstudy run`` computed; ``""``: compute them here.
    """
    for name, value in (("study", study), ("processed", processed), ("results", results)):
        if not isinstance(value, str):
            raise ValueError(f"parameter {name} must be a path given as text, got {value!r}")
    if not study.endswith((".yml", ".yaml")):
        raise ValueError(f"parameter study must be the path of a .yml study file, got {study!r}")
    notebook_setup()
    if results:
        return Results.handed(load_study(locate(study)), results, processed)
    return analyze(locate(study), processed=processed)


def notebook_setup() -> None:
    """Report style for matplotlib, and alt text for figures shown with ``plt.show()``.

    A figure made by :mod:`cxstudy.plots` carries ``cx_alt``; the PNG published
    for it gets that text as ``alt`` metadata, which JupyterLab and the report's
    HTML template use as the image's alt text.
    """
    import matplotlib.pyplot as plt  # noqa: F401 - activates the inline backend first
    from IPython import get_ipython
    from matplotlib.figure import Figure

    from .. import plots

    plots.style()
    pd.set_option("display.max_rows", 200)
    pd.set_option("display.max_colwidth", 80)
    shell = get_ipython()
    if shell is None:
        return
    with contextlib.suppress(ImportError):  # the inline backend registers its own PNG
        import matplotlib_inline.backend_inline  # noqa: F401 - formatter on load: load it now
    formatter = shell.display_formatter.formatters["image/png"]
    formatter.for_type(Figure, _png_with_alt)


def _png_with_alt(fig) -> tuple[bytes, dict]:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")  # constrained layout already fits; "tight" redraws
    title = fig.axes[0].get_title() if fig.axes else "Figure"
    return buffer.getvalue(), {"alt": getattr(fig, "cx_alt", None) or f"Figure: {title}"}


def locate(path: str | Path) -> Path:
    """Find a study file given relative to the project root, from wherever the
    notebook runs (JupyterLab: ``notebooks/``; papermill and nbval: elsewhere)."""
    path = Path(path).expanduser()
    if path.is_absolute() or path.exists():
        return path.resolve()
    for folder in [Path.cwd(), *Path.cwd().parents]:
        if (folder / path).exists():
            return (folder / path).resolve()
    studies = next((folder / "studies" for folder in [Path.cwd(), *Path.cwd().parents]
                    if (folder / "studies").is_dir()), None)
    held = sorted(p.name for p in studies.glob("*.y*ml")) if studies else []
    here = (f"; {studies} holds {', '.join(held)}" if held else
            "; no studies/ folder holds a study file here")
    raise FileNotFoundError(f"study file {path} not found from {Path.cwd()} or its parents"
                            f"{here}. Set study in the notebook's parameters cell (its first "
                            "code cell) to your study file as a path from the project "
                            'folder, e.g. study: str = "studies/acme.yml"')


def page_links(results: Results) -> dict[str, str]:
    """The report's pages for this study: file -> title (Voices only with open-ended
    questions, Trends only with waves, Segments only with segments)."""
    return {page.file: page.title for page in results.pages}
