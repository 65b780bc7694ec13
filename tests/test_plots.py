"""The figures (cxstudy.plots): alt text that says what a figure shows, seaborn's look
without seaborn."""

from __future__ import annotations

import re

from .conftest import pages


def test_every_image_has_meaningful_alt_text(built):
    _project, serial, _parallel, _raw = built
    for name, text in pages(serial / "reports" / "example").items():
        images = re.findall(r"<img [^>]*>", text)
        assert images, name
        for image in images:
            alt = re.search(r'alt="([^"]*)"', image)
            assert alt and len(alt.group(1)) > 40 and alt.group(1) != "Figure", name
    headline = re.search(r'<img [^>]*alt="([^"]*)"', pages(serial / "reports" / "example")[
        "index.html"]).group(1)
    assert "leadership: 76%" in headline and "n = 25" in headline and "95% CI" in headline


def test_the_figure_style_is_seaborns_whitegrid_without_importing_seaborn():
    """plots.style() writes out what seaborn's set_theme sets (so pages need not import
    seaborn and scipy); it must stay what seaborn would set, and blend() seaborn's
    blend_palette."""
    import matplotlib as mpl
    import seaborn as sns

    from cxstudy import plots

    with mpl.rc_context():
        sns.set_theme(context="notebook", style="whitegrid", font_scale=1.0)
        seaborns = dict(mpl.rcParams)
    with mpl.rc_context():
        plots.style()
        ours = dict(mpl.rcParams)
    left_out = {"image.cmap"}  # seaborn's own "rocket"; every image here names its map
    ours_overrides = set(plots.REPORT_STYLE)
    differ = {key for key in seaborns if seaborns[key] != ours[key]}
    assert differ <= left_out | ours_overrides, sorted(differ - left_out - ours_overrides)
    for n in (3, 4, 5, 7, 11):
        assert plots.blend([plots.NEGATIVE, plots.NEUTRAL, plots.POSITIVE], n) == [
            tuple(c) for c in sns.blend_palette([plots.NEGATIVE, plots.NEUTRAL,
                                                 plots.POSITIVE], n_colors=n)]
