"""Writing folders whole and tables safely (cxstudy._files)."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from cxstudy import _files
from cxstudy._files import (
    RunLock,
    append_csv,
    csv_rows,
    display_names,
    replace_folder,
    spreadsheet_safe,
    staging_folder,
    write_csv,
)
from cxstudy.exceptions import CxStudyError


def test_a_folder_is_replaced_whole_and_the_old_one_is_gone(tmp_path):
    target = tmp_path / "reports" / "acme"
    target.mkdir(parents=True)
    (target / "old.html").write_text("old")
    new = staging_folder(target)
    assert new.parent == target.parent and new.name.startswith(".acme.building-")
    assert not list(new.iterdir())  # empty, hidden, beside the target
    (new / "index.html").write_text("new")
    replace_folder(new, target)
    assert sorted(p.name for p in target.iterdir()) == ["index.html"]
    assert sorted(p.name for p in target.parent.iterdir()) == ["acme"]  # nothing left over
    assert staging_folder(target) != staging_folder(target)  # two builds never share one


def test_replace_folder_makes_a_target_that_did_not_exist(tmp_path):
    new = staging_folder(tmp_path / "data" / "processed" / "acme", "writing")
    (new / "responses.parquet").write_bytes(b"x")
    replace_folder(new, tmp_path / "data" / "processed" / "acme")
    assert (tmp_path / "data" / "processed" / "acme" / "responses.parquet").is_file()
    assert not new.exists()


@pytest.mark.parametrize("paths, expected", [
    ({"a": "raw/leaders.csv", "b": "raw/customers.csv"}, {"a": "leaders.csv",
                                                          "b": "customers.csv"}),
    ({"a": "raw/2025/customers.csv", "b": "raw/2026/customers.csv"},
     {"a": "2025/customers.csv", "b": "2026/customers.csv"}),
], ids=["different names", "one name in two waves"])
def test_display_names_tell_files_apart(tmp_path, paths, expected):
    assert display_names({key: tmp_path / path for key, path in paths.items()}) == expected


@pytest.mark.parametrize("cell, shown", [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
    ("+44 20 7946 0958", "'+44 20 7946 0958"),
    ("-1 day", "'-1 day"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\tTAB", "'\tTAB"),
    ("fine = good", "fine = good"),
    ("Agree", "Agree"),
])
def test_text_cells_cannot_start_a_formula(cell, shown):
    frame = pd.DataFrame({"text": [cell], "n": [-5], "share": [-0.25]})
    safe = spreadsheet_safe(frame)
    assert safe.loc[0, "text"] == shown
    assert safe.loc[0, "n"] == -5 and safe.loc[0, "share"] == -0.25  # numbers stay numbers
    assert frame.loc[0, "text"] == cell  # the table itself is not changed


def test_write_csv_writes_the_safe_table(tmp_path):
    write_csv(pd.DataFrame({"text": ["=1+1", None], "n": [1, 2]}), tmp_path / "t.csv")
    back = pd.read_csv(tmp_path / "t.csv")
    assert back["text"].tolist()[0] == "'=1+1" and pd.isna(back["text"].tolist()[1])
    assert back["n"].tolist() == [1, 2]


AWKWARD = ["plain", 'say "hi"', "a, b", "two\nlines", "cr\ronly", "crlf\r\n", "", None,
           "ünïcødé — ok", "日本語, \"quoted\"\n", "=1+1", "-3", "+44 20", "@SUM(A1)",
           "\tTAB", "\rCR", "'", '"', ",", " padded ", "\u2028sep", "; semi", "emoji 🙂"]


def _pandas_csv(frame: pd.DataFrame, header: bool = True) -> bytes:
    """What the CSV writer must match byte for byte: pandas' own writer."""
    text = io.StringIO()
    spreadsheet_safe(frame).to_csv(text, header=header, index=False)
    return text.getvalue().encode("utf-8")


def _log_like(text_dtype) -> pd.DataFrame:
    n = len(AWKWARD)
    return pd.DataFrame({
        "source": pd.Series([v if v is not None else "x" for v in AWKWARD]).astype(str),
        "source_row": np.arange(n, dtype=np.int64) - 5,
        "respondent_id": pd.Series(AWKWARD, dtype=text_dtype),
        "group": pd.Series(AWKWARD[::-1], dtype=text_dtype),
        "kept": np.arange(n) % 3 == 0,
        "reason": pd.Series(AWKWARD[3:] + AWKWARD[:3], dtype=object),
        "detail": pd.Series(AWKWARD, dtype=text_dtype),
        "count": np.arange(n, dtype=np.uint16),
    })


@pytest.mark.parametrize("text_dtype", [object, "string", "str", "string[pyarrow]"])
def test_csv_rows_are_the_bytes_pandas_writes(text_dtype):
    """Quotes, commas, line breaks, carriage returns, formulas, missing values and
    characters beyond ASCII in every text column: the same bytes as pandas."""
    frame = _log_like(text_dtype)
    assert csv_rows(frame) is not None  # written by the vectorised writer, not pandas
    for part in (frame, frame.iloc[:0], frame.iloc[7:12], frame[["kept", "source_row"]],
                 frame[["detail", "group"]]):
        out = io.BytesIO()
        append_csv(part, out, header=True)
        assert out.getvalue() == _pandas_csv(part)
        out = io.BytesIO()
        append_csv(part, out, header=False)
        assert out.getvalue() == _pandas_csv(part, header=False)


def test_csv_rows_in_slices_join_to_the_same_bytes(monkeypatch):
    frame = _log_like("string")
    monkeypatch.setattr(_files, "_CSV_SLICE", 4)
    assert csv_rows(frame) == _pandas_csv(frame, header=False)


@pytest.mark.parametrize("frame", [
    pd.DataFrame({"share": [0.25, np.nan, -1e-9], "text": ["=a", None, "b,c"]}),
    pd.DataFrame({"only": ["", "a"]}),  # a lone empty field is quoted by pandas
    pd.DataFrame({"mixed": ["a", 1, None], "n": [1, 2, 3]}),
    pd.DataFrame({"flag": pd.array([True, None, False], dtype="boolean"), "n": [1, 2, 3]}),
    pd.DataFrame({"level": pd.Categorical(["x", "=y", "x"]), "n": [1, 2, 3]}),
    pd.DataFrame({"raw": [b"bytes", b"=x"], "n": [1, 2]}),
], ids=["floats", "one column", "mixed objects", "nullable booleans", "categories", "bytes"])
def test_tables_of_other_kinds_are_written_by_pandas_itself(frame, tmp_path):
    assert csv_rows(frame) is None
    write_csv(frame, tmp_path / "t.csv")
    assert (tmp_path / "t.csv").read_bytes() == _pandas_csv(frame)


def test_one_run_of_a_study_at_a_time_and_leftovers_cleared(tmp_path):
    stale = tmp_path / "reports" / ".acme.building-1234abcd"
    stale.mkdir(parents=True)
    half = tmp_path / "data" / "processed" / ".acme.writing-1234abcd"
    half.mkdir(parents=True)
    other = tmp_path / "reports" / ".other.building-1234abcd"
    other.mkdir()
    with RunLock(tmp_path, "acme"):
        assert not stale.exists() and not half.exists()
        assert other.exists()  # another study's run may hold it
        with pytest.raises(CxStudyError, match="another run of this study is in progress"), \
                RunLock(tmp_path, "acme"):
            pass
        with RunLock(tmp_path, "other"):  # another study runs beside it
            pass
    with RunLock(tmp_path, "acme"):  # released at the end
        pass


def test_a_staged_folder_written_into_while_it_is_removed_is_still_removed(tmp_path,
                                                                          monkeypatch):
    """A page or deliverable that writes a last file as a stopped run removes its staged
    folder (a SIGTERM under load once left `.test.building-…` behind): removal retries."""
    import shutil

    from cxstudy import _files

    folder = tmp_path / ".report.building-1234"
    (folder / "tables").mkdir(parents=True)
    (folder / "tables" / "gaps.csv").write_text("x", encoding="utf-8")
    real, calls = shutil.rmtree, []

    def late_writer(path, ignore_errors=False):
        real(path, ignore_errors=ignore_errors)
        calls.append(path)
        if len(calls) == 1:  # a thread finishing its file just after the first pass
            (folder / "deck.pptx").parent.mkdir(parents=True, exist_ok=True)
            (folder / "deck.pptx").write_text("late", encoding="utf-8")

    monkeypatch.setattr(_files.shutil, "rmtree", late_writer)
    _files.remove_staged(folder)
    assert not folder.exists() and len(calls) == 2
