"""`hpsearch compare`: two or more real journal studies on one page, and one-line errors (exit 2) for bad input."""

from __future__ import annotations

import re
from pathlib import Path

import optuna
import pytest

from hpsearch import StudySpec, run
from hpsearch.cli.commands import main
from hpsearch.experiments.grid import grid_space, grid_spec
from hpsearch.experiments.surface2d import SurfaceSettings


@pytest.fixture
def two_studies(tmp_path, monkeypatch, tiny_settings):
    """runs/rand (random, seed 0, 4 trials) and runs/tpe (tpe, seed 1, 4 trials) of the tiny mlp objective."""
    monkeypatch.chdir(tmp_path)
    for name, sampler, seed in (("rand", "random", 0), ("tpe", "tpe", 1)):
        run(StudySpec(name=name, settings=tiny_settings, n_trials=4, sampler=sampler, seed=seed, out_dir="runs"),
            n_jobs=1)
    return tmp_path / "runs"


def _cells(html: str, table: str) -> list[list[str]]:
    body = html.split(f'id="T_{table}"', 1)[1].split("</table>", 1)[0]
    return [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row) for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def test_compare_puts_two_studies_side_by_side(two_studies, capsys):
    assert main(["compare", "runs/rand", "tpe", "--out", "cmp"]) == 0  # a folder and a name under runs/
    page = Path("cmp/index.html")
    assert f"written: {page}" in capsys.readouterr().out
    html = page.read_text(encoding="utf-8")
    for name in ("rand", "tpe"):
        assert (two_studies / name / "export" / "meta.json").is_file()
        best = optuna.load_study(study_name=name, storage=optuna.storages.JournalStorage(
            optuna.storages.journal.JournalFileBackend(str(two_studies / name / "journal.log")))).best_value
        row = next(r for r in _cells(html, "scores") if r[:1] == [name])
        assert float(row[5]) == pytest.approx(best, abs=5e-4)  # the best score: Optuna's, in the direction
        assert "(no CI" not in row[7] and "[" in row[7]  # 4 COMPLETE trials: an interval
    settings = {r[0]: r[1:] for r in _cells(html, "settings")[1:]}
    assert settings["sampler"] == ["random", "tpe"] and settings["seed"] == ["0", "1"]
    assert "n_trials" not in settings  # shared settings are left out
    assert "Best score so far, every study on one axis" in html
    assert ("wins:" in html) != ("No clear winner" in html)
    assert main(["compare", "rand", "tpe"]) == 0  # default output folder
    assert (two_studies / "compare-rand-vs-tpe" / "index.html").is_file()
    assert main(["compare", "--storage", "runs/tpe/journal.log", "tpe", "--out", "one"]) == 2  # one study


@pytest.mark.parametrize(("argv", "message"), [
    (["compare", "rand"], "compare needs two or more studies; got 1"),
    (["compare"], "compare needs two or more studies; got 0"),
    (["compare", "rand", "nope"], "unknown study 'nope'"),
    (["compare", "rand", "rand"], "a study is named twice"),
    (["compare", "--storage", "runs/rand/journal.log", "rand", "tpe"], "study 'tpe' is not in the storage"),
    (["compare", "rand", "../x"], "study name '../x' is invalid"),
])
def test_bad_input_is_one_line_and_exit_2(two_studies, capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not Path("runs/compare-rand-vs-nope").exists()


def test_studies_of_different_directions_or_metrics_are_refused(two_studies, capsys):
    spec = grid_spec("bowl", "surface2d", SurfaceSettings(epochs=5), grid_space({"optimizer": ["sgd", "adam"]}),
                     out_dir="runs")
    run(spec, n_jobs=1)
    capsys.readouterr()
    assert main(["compare", "rand", "bowl"]) == 2
    err = capsys.readouterr().err
    assert "different directions (rand: maximize, bowl: minimize)" in err and err.count("\n") == 1
    assert not (two_studies / "rand" / "export").exists()  # nothing written before the check


def test_studies_of_different_metrics_are_refused(two_studies, capsys):
    from hpsearch.experiments.batch_norm import BatchNormSettings

    settings = BatchNormSettings(n_train=200, hidden=(16,), epochs=2)
    run(grid_spec("bn", "batch-norm", settings, grid_space({"w_index": [0, 1], "norm": ["none"]}), out_dir="runs"),
        n_jobs=1)
    capsys.readouterr()
    assert main(["compare", "tpe", "bn"]) == 2
    err = capsys.readouterr().err
    assert "different metrics (tpe: val_acc, bn: final train_acc)" in err and err.count("\n") == 1
