"""The main job at a small budget: the book's range-narrowing study end to end, report included."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]


def _script():
    spec = importlib.util.spec_from_file_location("book_range_narrowing", ROOT / "studies" / "book_range_narrowing.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_small_budget_study_writes_linked_rounds_and_the_report(tmp_path, capsys, report_every_study):
    script = _script()
    code = script.main(["--quick", "--trials", "8", "--epochs", "3", "--rounds", "2", "--top", "0.25",
                        "--n-jobs", "2", "--out", str(tmp_path)])
    assert code == 0
    out = capsys.readouterr().out
    first = out.splitlines()[0]  # before anything trains: how long on this machine
    assert first.startswith("the job takes about ") and "3 studies of 8 trials" in first, first
    assert "12 retrainings, timed on this machine" in first and "--quick runs" not in first
    index = tmp_path / "book-narrowing" / "index.html"
    assert f"report: {index.resolve()}" in out
    page = index.read_text()
    for text in ("Final pick", "TEST accuracy", "book-narrowing-r1", "book-narrowing-r2", "Best-20 of round 1",
                 "Final score vs lr", "searched weight_decay in [1e-08, 0.0001], lr in [1e-06, 0.01]"):
        assert text in page, text
    record = json.loads((tmp_path / "book-narrowing" / "narrowing.json").read_text())
    assert [r["study"] for r in record["rounds"][:2]] == ["book-narrowing-r1", "book-narrowing-r2"]
    assert record["rounds"][1]["parent"] == "book-narrowing-r1"
    for r in ("r1", "r2"):
        trials = pd.read_csv(tmp_path / f"book-narrowing-{r}" / "export" / "trials.csv")
        assert len(trials) == 8 and set(trials["state"]) <= {"COMPLETE"}  # --quick did not override --trials
        assert json.loads((tmp_path / f"book-narrowing-{r}" / "export" / "meta.json").read_text())[
            "spec"]["settings"]["epochs"] == 3  # nor --epochs
        assert (tmp_path / f"book-narrowing-{r}" / "index.html").is_file()
    # round 2 narrows inside the book's box; the page says which bounds its best trials pressed against and,
    # when they pressed one, what the step beyond the book searched and gained
    r2 = record["rounds"][1]["space"]
    assert 1e-6 <= r2["lr"]["low"] < r2["lr"]["high"] <= 1e-2
    assert 1e-8 <= r2["weight_decay"]["low"] < r2["weight_decay"]["high"] <= 1e-4
    beyond = record["beyond"]
    assert beyond["parent"] == "book-narrowing-r2" and "Pressed bounds, and beyond the book" in page
    assert f"The best {beyond['n_top']} trials of book-narrowing-r2 (its last round) pressed against" in page
    if beyond["ran"]:
        assert record["rounds"][2]["study"] == "book-narrowing-beyond" and record["rounds"][2]["beyond_book"]
        assert "hpsearch&#x27;s own step beyond the book" in page and "beyond the book (hpsearch)" in page
        assert "beyond the book, past the pressed" in out
    else:
        assert len(record["rounds"]) == 2 and "No step beyond the book" in page
    assert report_every_study(tmp_path) == sorted(r["study"] for r in record["rounds"])
    meta = json.loads((tmp_path / "book-narrowing-r2" / "export" / "meta.json").read_text())
    assert meta["parent"] == "book-narrowing-r1" and meta["narrowing"]["parent"] == "book-narrowing-r1"
    # round 1 is the book's protocol: its lr/wd lie in the book's ranges
    r1 = pd.read_csv(tmp_path / "book-narrowing-r1" / "export" / "trials.csv")
    assert r1["param_lr"].between(1e-6, 1e-2).all() and r1["param_weight_decay"].between(1e-8, 1e-4).all()
    # the folder the main job prints is understood: `report` re-renders its page, `export` names its rounds
    from hpsearch.cli.commands import main

    folder = tmp_path / "book-narrowing"
    index.unlink()
    capsys.readouterr()
    assert main(["report", str(folder)]) == 0
    assert "report written: " in capsys.readouterr().out and "Final pick" in index.read_text()
    assert main(["export", str(folder)]) == 2
    err = capsys.readouterr().err.strip()
    rounds = ", ".join(r["study"] for r in record["rounds"])
    assert err.count("\n") == 0 and f"is a range narrowing of {len(record['rounds'])} round studies ({rounds})" in err
    assert f"hpsearch report {tmp_path / 'book-narrowing-r1'}" in err


def test_bad_option_is_one_line_and_exit_2(tmp_path, capsys):
    code = _script().main(["--later-sampler", "annealing", "--out", str(tmp_path)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "annealing" in err[0]
    assert not any(tmp_path.iterdir())


def test_without_quick_the_first_line_says_how_long_and_points_to_quick(tmp_path, capsys):
    code = _script().main(["--trials", "2", "--epochs", "2", "--rounds", "1", "--widen", "0", "--n-jobs", "1",
                           "--out", str(tmp_path)])
    assert code == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("the job takes about ") and "1 study" not in first and "2 trials of ~" in first
    assert "; --quick runs a small demo in about " in first, first
