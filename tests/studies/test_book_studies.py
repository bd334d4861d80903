"""Every chapter-6 study script end to end at its --quick budget: it runs its grid through hpsearch, exports,
and writes a report page that holds the expected groups and states its semantics; `hpsearch report` then
renders every study it left (a study with a `seed` parameter once crashed it)."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from reports import load_export

pytestmark = pytest.mark.slow
STUDIES = Path(__file__).resolve().parents[2] / "studies"


@pytest.fixture
def script():
    """Load studies/<name>.py as a module, so a test can call its ``main(argv)``."""

    def load(name: str):
        spec = importlib.util.spec_from_file_location(f"study_{name}", STUDIES / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load


@pytest.fixture
def run_script(script, tmp_path, capsys, report_every_study):
    """run_script(name, *extra) -> the HTML of the script's page; `hpsearch report` then renders each study."""

    def run(name: str, *extra: str, report: bool = True) -> str:
        out = tmp_path / "runs"
        code = script(name).main(["--quick", "--n-jobs", "1", "--out", str(out), *extra])
        printed = capsys.readouterr().out
        assert code == 0, printed
        # before anything trains: how long, timed on this machine (no pointer to --quick: it was given)
        estimates = [line for line in printed.splitlines() if "timed on this machine" in line]
        assert estimates and re.search(r" takes (about|at most) \d", estimates[0]), printed
        assert printed.index(estimates[0]) < printed.index("report: ") and "--quick runs" not in printed
        index = re.search(r"report: (\S+)", printed).group(1)
        html = Path(index).read_text(encoding="utf-8")
        assert "Semantics" in html and "<img" in html
        if report:
            report_every_study(out)
        return html

    return run


def _export(tmp_path, study: str):
    return load_export(tmp_path / "runs" / study / "export")


def test_optimizer_trajectories(run_script, tmp_path):
    html = run_script("optimizer_trajectories")
    exp = _export(tmp_path, "optimizer-trajectories-quick")
    assert list(exp.trials["param_optimizer"]) == ["sgd", "momentum", "adagrad", "adam", "rmsprop", "nesterov"]
    points = exp.curves[exp.curves["metric"] != "lr"].groupby(["number", "metric"]).size()
    assert (points == 30).all() and len(points) == 6 * 3
    assert "Optimizer paths" in html and "SGD 0.95" in html


def test_optimizer_curves_in_two_workers(script, tmp_path, report_every_study):
    out = tmp_path / "runs"
    assert script("optimizer_curves").main(["--quick", "--n-jobs", "2", "--out", str(out)]) == 0
    exp = _export(tmp_path, "optimizer-curves-mnist-5k-quick")
    assert sorted(set(exp.trials["param_optimizer"])) == ["adagrad", "adam", "momentum", "sgd"]
    assert set(exp.trials["param_seed"]) == {0, 1} and exp.meta["n_workers"] == 2
    assert {"loss", "loss_smooth", "test_acc"} <= set(exp.curves["metric"])
    html = (out / "optimizer-curves-mnist-5k-quick" / "index.html").read_text(encoding="utf-8")
    assert "loss 2-10: mean [95% CI]" in html and "loss 20-39: mean [95% CI]" in html
    assert "after the update, same batch (book)" in html
    assert report_every_study(out) == ["optimizer-curves-mnist-5k-quick"]


def test_weight_init(run_script, tmp_path):
    html = run_script("weight_init")
    hist = _export(tmp_path, "weight-init-mnist-5k-quick-hist")
    assert len(hist.trials) == 3 * 4 * 2
    assert {f"hist_layer{k}" for k in range(1, 6)} <= set(hist.curves["metric"])
    sgd = _export(tmp_path, "weight-init-mnist-5k-quick-sgd")
    assert sorted(set(sgd.trials["param_init"])) == ["he", "std=0.01", "xavier"]
    for name in ("sigmoid: activations per layer", "relu: activations per layer", "Loss by init"):
        assert name in html
    shown, every = _ls(tmp_path)
    assert "weight-init-mnist-5k-quick-sgd " in shown and "-hist" not in shown.split("(and")[0]
    assert "(and 1 helper study of weight-init-mnist-5k-quick: hpsearch ls --all lists them)" in shown
    hist_line = next(line for line in every.splitlines() if line.startswith("weight-init-mnist-5k-quick-hist "))
    assert "helper of weight-init-mnist-5k-quick" in hist_line and " best " not in hist_line


def _ls(tmp_path) -> tuple[str, str]:
    """`hpsearch ls <runs>` and `hpsearch ls --all <runs>`, as printed."""
    import contextlib
    import io

    from hpsearch.cli.commands import main

    printed = []
    for extra in ([], ["--all"]):
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            assert main(["ls", *extra, str(tmp_path / "runs")]) == 0
        printed.append(buffer.getvalue())
    return printed[0], printed[1]


def test_batch_norm(run_script, tmp_path):
    html = run_script("batch_norm")
    exp = _export(tmp_path, "batch-norm-mnist-5k-quick")
    assert len(exp.trials) == 16 * 2 and set(exp.trials["param_norm"]) == {"batch_norm", "none"}
    assert "with BN: final train acc [95% CI]" in html and "without BN: final train acc [95% CI]" in html
    assert all(f">{w}<" in html for w in ("1", "0.5412", "0.0001"))  # one row per init scale
    # the caption from the run's own settings (200 images, batch 100: an evaluation every 2 updates)
    assert "i % 2 == 0" in html and "x: evaluations (one every 2 updates)" in html and "of 10 updates" not in html
    # the study box names the setting for what it counts (3 evaluations), not "epochs"
    assert "<th>evaluations (the book&#x27;s &#x27;epochs&#x27;)</th><td>3</td>" in html
    assert "<th>epochs</th>" not in html


def test_overfitting(run_script, tmp_path):
    html = run_script("overfitting")
    exp = _export(tmp_path, "overfitting-mnist-5k-quick")
    assert len(exp.trials) == 4 * 2
    for group in ("none", "weight decay 0.1", "dropout 0.2", "dropout 0.15"):
        assert group in html
    assert "non-inverted" in html
    assert "evaluations (the book&#x27;s &#x27;epochs&#x27;)" in html and "<th>epochs</th>" not in html


def test_fair_comparison(run_script, tmp_path):
    html = run_script("fair_comparison", "--optimizers", "sgd", "adam")
    test = _export(tmp_path, "fair-comparison-mnist-5k-quick-test")
    configs = sorted(set(test.trials["param_config"]))
    assert configs == ["adam:default", "adam:tuned:0", "adam:tuned:1", "sgd:default", "sgd:tuned:0", "sgd:tuned:1"]
    assert pd.api.types.is_float_dtype(test.trials["value"]) and test.trials["value"].between(0, 1).all()
    tune = _export(tmp_path, "fair-comparison-mnist-5k-quick-tune-adam-t1")
    assert len(tune.trials) == 3 and tune.meta["seed"] == 1
    for text in ("Defaults vs tuned", "Learning-rate sensitivity", "Best validation accuracy vs tuning budget"):
        assert text in html
    # quick mode tunes on 2 seeds: 4 test runs of each tuned optimizer, but no interval from 2 tunings
    assert html.count("(no CI: 2 tuning seeds &lt; 3)") == 2 and "its val acc" in html
    shown, every = _ls(tmp_path)
    assert "-tune-" not in shown.split("(and")[0] and "fair-comparison-mnist-5k-quick-test " in shown
    assert "(and 4 helper studies of fair-comparison-mnist-5k-quick: hpsearch ls --all lists them)" in shown
    tune = [line for line in every.splitlines() if "-tune-" in line]
    assert len(tune) == 4 and all("helper of fair-comparison-mnist-5k-quick" in line for line in tune)


def test_a_changed_spec_is_refused_with_a_message(script, run_script, tmp_path, capsys):
    run_script("overfitting", report=False)
    code = script("overfitting").main(["--quick", "--n-jobs", "1", "--out", str(tmp_path / "runs"), "--seeds", "3"])
    assert code == 2 and "another name" in capsys.readouterr().err


def test_trajectories_refuse_a_data_set_and_seeds_they_would_not_use(script, tmp_path, capsys):
    out = tmp_path / "runs"
    for extra in (["--dataset", "mnist-5k"], ["--seeds", "3"]):
        assert script("optimizer_trajectories").main(["--quick", "--out", str(out), *extra]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and f"{extra[0]} do not apply here" in err
    assert not out.exists()


def test_train_book_net_takes_the_common_options(script, tmp_path, capsys):
    out = tmp_path / "runs"
    argv = ["--quick", "--epochs", "2", "--dataset", "mnist-5k", "--n-jobs", "1", "--out", str(out)]
    assert script("train_book_net").main(argv) == 0
    printed = capsys.readouterr().out
    record = json.loads((out / "train-book-net" / "result.json").read_text())
    assert f"result: {out / 'train-book-net' / 'result.json'}" in printed
    # --quick: 1000 images (800 train) unless given; --epochs 2 given explicitly wins over --quick's 5
    assert record["epochs"] == 2 and record["train_size"] == 1000 and record["updates"] == 2 * 8
    assert f"test acc {record['test_acc']:.3f}" in printed and len(record["val_acc"]) == 2
    assert script("train_book_net").main(["--n-jobs", "0", "--out", str(out)]) == 2


# each script's end-to-end test, which also runs `hpsearch report` on every study the script left
END_TO_END = {
    "optimizer_trajectories": "test_optimizer_trajectories", "optimizer_curves": "test_optimizer_curves_in_two_workers",
    "weight_init": "test_weight_init", "batch_norm": "test_batch_norm", "overfitting": "test_overfitting",
    "fair_comparison": "test_fair_comparison", "train_book_net": "test_train_book_net_takes_the_common_options",
    "book_range_narrowing": "test_book_range_narrowing.py", "benchmark_search_methods":
    "test_benchmark_search_methods.py", "fashion_mnist": "test_fashion_mnist.py",
}


def test_every_study_script_has_an_end_to_end_test():
    scripts = {p.stem for p in STUDIES.glob("*.py")}
    assert scripts == set(END_TO_END), "add the new script's --quick run (and `hpsearch report` on its studies)"


def test_hpsearch_report_keeps_a_scripts_own_page(run_script, tmp_path, capsys):
    """`hpsearch report` on a folder a script wrote writes the generic page beside the script's richer one,
    says where each is, and still rewrites a generic page in place."""
    from hpsearch.cli.commands import main

    run_script("overfitting", report=False)
    study = tmp_path / "runs" / "overfitting-mnist-5k-quick"
    own = (study / "index.html").read_bytes()
    assert b"gap" in own.lower()  # the train-test gap section the generic page does not have
    for _ in range(2):  # and again: the generic page is rewritten, the script's page never
        assert main(["report", str(study)]) == 0
        printed = capsys.readouterr().out
        assert (study / "index.html").read_bytes() == own
        generic = study / "study-page" / "index.html"
        assert f"report written: {generic}" in printed and f"page {study / 'index.html'} is kept" in printed
        assert "Study overfitting-mnist-5k-quick" in generic.read_text(encoding="utf-8")
    plain = tmp_path / "plain"
    assert main(["report", str(study), "--out", str(plain)]) == 0  # a folder of its own: the generic page there
    assert main(["report", str(study), "--out", str(plain)]) == 0  # rewritten in place, no study-page/ beside
    assert (plain / "index.html").is_file() and not (plain / "study-page").exists()
