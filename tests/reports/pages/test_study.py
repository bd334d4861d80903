"""The study page, render(), on exports written by the test: files, sections, numbers, escaping, and pages
for partial data (no curves, no weight decay, no complete trial, only failures, no meta, a `seed`
parameter beside the trial's seed)."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import numpy as np
import pytest

from reports import StudyExport, load_export, render, write_export


def test_render_writes_page_and_figures(tmp_path, make_export, read_page):
    folder = write_export(make_export(), tmp_path / "runs" / "tiny" / "export", fmt="csv")
    index = render(folder)
    assert index == tmp_path / "runs" / "tiny" / "index.html"
    pngs = sorted(p.name for p in (index.parent / "figures").glob("*.png"))
    assert pngs == ["00_history.png", "01_param_lr.png", "02_param_weight_decay.png", "03_param_optimizer.png",
                    "04_param_momentum.png", "05_lr_wd.png", "06_parallel.png", "07_learning_curves.png",
                    "08_intermediate.png", "09_importance.png", "10_durations.png"]
    text, page = read_page(index)
    for heading in ("Summary", "Top 5 trials", "Figures", "Best trial", "Trials by state", "Time and workers",
                    "Seeds", "Machine", "BLAS", "Package versions", "Optimization history", "Score vs lr",
                    "lr x weight_decay", "Parallel coordinates", "Learning curves of the top 5",
                    "Intermediate values", "Parameter importance (5 of 8 trials)", "Trial durations"):
        assert heading in page.headings
    # every figure embedded, byte for byte the PNG written next to the page
    assert len(page.images) == len(pngs)
    embedded = [base64.b64decode(src.split(",", 1)[1]) for src in page.images]
    assert embedded == [(index.parent / "figures" / name).read_bytes() for name in pngs]
    assert all(src.startswith("data:image/png;base64,") for src in page.images)
    # numbers of the summary: best trial #5 (0.9), counts, workers, machine, BLAS, versions, seeds
    flat = re.sub(r"\s+", " ", page.all_text)
    for fragment in ("best trial #5", "score 0.9", "param lr 0.001", "param optimizer adam", "complete 5",
                     "pruned 1", "fail 1", "running 1", "waiting 0", "diverged 1", "total 8",
                     "wall seconds 19.5", "trial seconds total 36", "trial seconds mean 4.5", "n workers 2",
                     "cpu test-cpu", "openblas 0.3.99, 1 thread(s)", "optuna 4.2.0", "study seed 42",
                     "trial seed min 100", "sampler TPESampler"):
        assert fragment in flat, fragment
    # self-contained: no external reference
    assert not re.search(r"""(src|href)=["'](https?:|//|file:)""", text)
    assert '<table id="T_topk" class="data sortable">' in text


def test_top_k_table_order_and_diverged_row(tmp_path, make_export, read_page):
    text, _ = read_page(render(make_export(), out_dir=tmp_path, top_k=5))
    table = text[text.index('id="T_topk"'):text.index("</table>", text.index('id="T_topk"'))]
    numbers = re.findall(r'class="data row\d+ col1" >(\d+)</td>', table)
    assert numbers == ["5", "1", "3", "0", "6"]
    # the diverged trial (#6, row 4) is styled red, and only its row
    styled = set(re.findall(r"#T_topk_row(\d+)_col\d+[^{]*\{\s*color: #c62828", text))
    assert styled == {"4"}


def test_stale_figures_are_removed(tmp_path, make_export):
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "99_old.png").write_bytes(b"old")
    render(make_export(), out_dir=tmp_path)
    assert not (tmp_path / "figures" / "99_old.png").exists()


def test_strings_from_data_are_escaped(tmp_path, make_export, nasty, read_page):
    export = make_export(study=nasty)
    trials = export.trials.rename(columns={"param_momentum": f"param_{nasty}"})
    trials["param_optimizer"] = [nasty, "sgd"] * 4
    trials["user_attrs_note"] = nasty
    trials["worker"] = nasty
    meta = dict(export.meta, sampler=nasty, machine={"cpu": nasty, nasty: 1}, versions={nasty: nasty},
                spec={"name": nasty}, importance={nasty: 1.0}, parent=nasty)
    meta["space"] = dict(meta["space"], **{nasty: {"type": "float", "log": False}})
    index = render(StudyExport.from_frames(trials, export.curves, meta), out_dir=tmp_path)
    text, page = read_page(index)
    assert nasty not in text
    assert text.count("<script") == 1 and page.scripts == 1  # only the page's own table-sorting script
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert text.count(escaped) >= 10
    assert f"Study {escaped}" in text  # title and header
    assert f"<th>{escaped}</th>" in text  # a meta key
    assert f">{escaped}</th>" in text  # the parameter as a table header
    assert all(re.fullmatch(r"[A-Za-z0-9_.-]+\.png", p.name) for p in (tmp_path / "figures").iterdir())


def test_default_out_dir_for_frames_is_runs_study(tmp_path, make_export, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert render(make_export(study="a/b c")) == Path("runs") / "a_b_c" / "index.html"


@pytest.mark.parametrize("case", ["no_curves", "no_weight_decay", "no_complete", "only_fail", "no_meta",
                                  "no_trials"])
def test_partial_exports_still_render_and_say_what_is_missing(tmp_path, make_export, case, read_page):
    export = make_export()
    trials, curves, meta = export.trials, export.curves, dict(export.meta)
    if case == "no_curves":
        curves = None
    elif case == "no_weight_decay":
        trials = trials.drop(columns=["param_weight_decay"])
    elif case == "no_complete":
        trials["state"] = np.where(trials["state"] == "COMPLETE", "PRUNED", trials["state"])
    elif case == "only_fail":
        trials["state"], trials["value"], curves = "FAIL", np.nan, None
    elif case == "no_meta":
        meta = {}
    elif case == "no_trials":
        trials, curves = trials.iloc[0:0], None
    folder = write_export(StudyExport.from_frames(trials, curves, meta), tmp_path / "export", fmt="csv")
    if case in ("no_curves", "only_fail", "no_trials"):
        (folder / "curves.csv").unlink()
    if case == "no_meta":
        (folder / "meta.json").unlink()
    text, page = read_page(render(load_export(folder), out_dir=tmp_path / "out"))
    flat = re.sub(r"\s+", " ", page.all_text)
    assert "Missing or partial data" in flat
    expected = {
        "no_curves": "no curves exported",
        "no_weight_decay": "no weight decay parameter",
        "no_complete": "no COMPLETE trial has a score",
        "only_fail": "no COMPLETE trial has a score",
        "no_meta": "no meta.json",
        "no_trials": "the export has no trials",
    }[case]
    assert expected in flat
    figures = {p.name for p in (tmp_path / "out" / "figures").glob("*.png")}
    assert len(page.images) == len(figures)
    if case == "no_curves":
        assert "Learning curves of the top 5" not in page.headings and "Intermediate values" not in page.headings
    if case == "no_weight_decay":
        assert "lr x weight_decay" not in page.headings and "Score vs lr" in page.headings
    if case in ("no_complete", "only_fail"):
        assert "best trial none (no COMPLETE trial with a score)" in flat
        assert "Parallel coordinates" not in page.headings


def test_odd_meta_values_do_not_break_the_page(tmp_path, make_export, read_page):
    export = make_export()
    meta = dict(export.meta, importance={"lr": None, "weight_decay": "n/a"}, versions=["numpy 2"], machine=None,
                blas="mkl", space=["not", "a", "mapping"], spec=None, wall_seconds=None)
    _, page = read_page(render(StudyExport.from_frames(export.trials, export.curves, meta), out_dir=tmp_path))
    flat = re.sub(r"\s+", " ", page.all_text)
    assert "machine unknown" in flat and "library mkl" in flat and "versions ['numpy 2']" in flat
    assert "wall seconds —" in flat
    assert "Parameter importance (5 of 8 trials)" in page.headings  # drawn as a 'no data' placeholder


def test_the_study_page_renders_a_study_with_a_seed_parameter(trials, curves, meta, tmp_path):
    meta["space"]["seed"] = {"type": "categorical", "low": None, "high": None, "log": False, "choices": [0, 1, 2]}
    exp = StudyExport.from_frames(trials.assign(param_seed=np.arange(len(trials)) % 3), curves, meta)
    page = render(exp, out_dir=tmp_path).read_text(encoding="utf-8")
    assert "param_seed" in page


def test_a_study_scored_on_test_curves_is_labelled_by_what_it_recorded(trials, curves, meta, tmp_path, read_page):
    # the book's overfitting runs: the score is the final test accuracy, the curves train_acc and test_acc
    meta["metric"] = "final test_acc"
    test_curves = curves.assign(metric=curves["metric"].map({"val_acc": "test_acc", "val_loss": "train_acc"}))
    _, page = read_page(render(StudyExport.from_frames(trials, test_curves, meta), out_dir=tmp_path))
    flat = re.sub(r"\s+", " ", page.all_text)
    assert "best of its evaluations" in flat and "best val acc" not in flat
    assert "test_acc and train_acc per epoch (the curves the trials recorded)" in flat
    assert "test_acc of every trial per epoch" in flat


def test_a_study_scored_on_validation_keeps_the_val_label(make_export, tmp_path, read_page):
    export = make_export()
    meta = {**export.meta, "metric": "val_acc"}
    _, page = read_page(render(StudyExport.from_frames(export.trials, export.curves, meta), out_dir=tmp_path))
    assert "best val acc" in re.sub(r"\s+", " ", page.all_text)
