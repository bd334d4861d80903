"""studies/fashion_mnist.py end to end at tiny budgets: search under a time budget, the final pick scored on
test once, the report's headline beside the anchors."""

from __future__ import annotations

import importlib.util
import os
import re
from html import escape
from pathlib import Path

import optuna
import pytest

from netcore.data import DataError, find_idx_dir

pytestmark = pytest.mark.slow
SCRIPT = Path(__file__).resolve().parents[2] / "studies" / "fashion_mnist.py"


def _module():
    spec = importlib.util.spec_from_file_location("study_fashion_mnist", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(tmp_path, capsys, *args):
    code = _module().main(["--quick", "--n-jobs", "1", "--out", str(tmp_path), "--trials", "3", "--epochs", "1",
                           *args])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    return printed.out


@pytest.mark.parametrize("model", ["cnn", "mlp"])
def test_quick_search_scores_its_pick_on_test_once_and_reports_it(model, tmp_path, capsys, report_every_study):
    out = _run(tmp_path, capsys, "--model", model, "--dataset", "mnist-5k", "--time-budget", "900")
    test_acc = float(re.search(r"TEST (\d\.\d+)", out).group(1))
    html = Path(re.search(r"report: (\S+)", out).group(1)).read_text()
    assert f"Test accuracy {test_acc:.4f}" in html
    # Fashion-MNIST's published results are not set beside a search of the MNIST digits
    assert "Google AutoML" not in html and "No published results on this data set" in html
    storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(
        str(tmp_path / f"fashion-{model}-quick" / "journal.log")))
    study = optuna.load_study(study_name=f"fashion-{model}-quick", storage=storage)
    final = study.user_attrs["final"]
    assert final["test_acc"] == pytest.approx(test_acc, abs=5e-5) and final["n_test"] == 1000
    assert final["retrain"] == "train+val" and final["n_train"] == 2000
    # scored on 3 retraining seeds derived from the study seed; the headline is their mean
    assert len(final["test_per_seed"]) == 3 and len(set(final["seeds"])) == 3
    assert final["test_acc"] == pytest.approx(sum(final["test_per_seed"]) / 3)
    # by default the pick is retrained for twice its trial's epochs, without a length check
    assert final["length_check"] is None and final["trial_epochs"] == 1 and final["epochs"] == 2
    assert "length check" not in out and "retrained for 2 epochs: 2 times its trial's 1, without a check" in out
    assert escape("Retrained for 2 epochs, 2 times its trial's 1, without a length check") in html
    # before the retraining, the script says what runs and how long it should take
    assert re.search(r"^final pick: scoring .* \(3 seed\(s\), 2 epochs; about \d+ s", out, re.M)
    # the warm start and the cost-aware schedule are recorded in the study; the modern recipe in its settings
    priors = study.user_attrs["priors"]
    assert priors["configs"][0]["source"].startswith("the book's advice") and priors["startup_trials"] >= 3
    first = study.trials[0]
    assert {**first.system_attrs["fixed_params"]} == {**priors["configs"][0]["params"]}
    assert study.user_attrs["schedule"]["pruner"] == "asha-cost"
    settings = study.user_attrs["spec"]["settings"]
    assert settings["augment_shift"] == 2 and settings["label_smoothing"] == 0.1 and settings["ema_decay"] > 0
    assert settings["augment_flip"] is False and settings["tta_flip"] is False  # a mirrored digit is another digit
    assert "without test-time flip averaging" not in out and "test_per_seed_plain" not in final
    assert settings["lr_schedule"] == "warmup-cosine"
    assert study.user_attrs["runs"][-1]["time_budget"] == 900.0
    assert report_every_study(tmp_path) == [f"fashion-{model}-quick"]
    # --report-only searches no further and does not score again: the stored test score is reported
    n_before = len(study.get_trials(deepcopy=False))
    again = _run(tmp_path, capsys, "--model", model, "--dataset", "mnist-5k", "--report-only")
    assert f"TEST {test_acc:.4f}" in again and "searching" not in again
    study = optuna.load_study(study_name=f"fashion-{model}-quick", storage=storage)
    assert len(study.get_trials(deepcopy=False)) == n_before and study.user_attrs["final"] == final


def test_report_only_without_a_study_is_one_line(tmp_path, capsys):
    code = _module().main(["--quick", "--dataset", "mnist-5k", "--out", str(tmp_path), "--report-only"])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert "run the search first" in err and "\n" not in err
    assert not any(tmp_path.iterdir())


def test_a_budget_too_short_for_any_trial_still_writes_the_report_and_says_so(tmp_path, capsys):
    code = _module().main(["--quick", "--dataset", "mnist-5k", "--out", str(tmp_path), "--n-jobs", "1",
                           "--time-budget", "0.001"])
    assert code == 1
    last = capsys.readouterr().err.strip().splitlines()[-1]  # after the progress lines: one line that says why
    assert last.startswith("error:") and "no finished" in last and "--time-budget" in last
    assert "No final pick yet" in (tmp_path / "fashion-cnn-quick" / "index.html").read_text()


@pytest.mark.parametrize(("option", "value"), [("--time-budget", "-1"), ("--length-check", "0.5"),
                                               ("--length-check", "nan"), ("--length-check", "50"),
                                               ("--top", "0"), ("--retrain-factor", "0.5"),
                                               ("--retrain-factor", "11")])
def test_a_bad_budget_or_length_factor_is_refused_before_anything_runs(tmp_path, capsys, option, value):
    code = _module().main(["--quick", "--dataset", "mnist-5k", "--out", str(tmp_path), option, value])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert option in err and "\n" not in err
    assert not any(tmp_path.iterdir())


def test_length_check_2_validates_two_lengths_and_retrains_for_the_chosen_one(tmp_path, capsys):
    out = _run(tmp_path, capsys, "--model", "mlp", "--dataset", "mnist-5k", "--length-check", "2")
    storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(
        str(tmp_path / "fashion-mlp-quick" / "journal.log")))
    final = optuna.load_study(study_name="fashion-mlp-quick", storage=storage).user_attrs["final"]
    check = final["length_check"]
    assert check["epochs"] == [1, 2] and final["epochs"] == (2 if check["paid"] else 1)
    line = next(x for x in out.splitlines() if x.startswith("length check on validation:"))
    assert f"1 epochs {check['values'][0]:.4f}, 2 epochs {check['values'][1]:.4f}" in line
    assert f"retrained for {final['epochs']}" in line
    # before the check and the retraining, the script says what runs and how long it should take
    assert re.search(r"^final pick: length check on validation \(1, 2 epochs side by side; about \d+ s", out, re.M)
    assert re.search(r"^final pick: scoring .* \(3 seed\(s\), [12] epochs; about \d+ s", out, re.M)


@pytest.mark.parametrize(("factor", "epochs"), [("1", 1), ("3", 3)])
def test_retrain_factor_sets_the_retraining_length(tmp_path, capsys, factor, epochs):
    _run(tmp_path, capsys, "--model", "mlp", "--dataset", "mnist-5k", "--retrain-factor", factor)
    storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(
        str(tmp_path / "fashion-mlp-quick" / "journal.log")))
    final = optuna.load_study(study_name="fashion-mlp-quick", storage=storage).user_attrs["final"]
    assert final["length_check"] is None and final["epochs"] == epochs


def test_a_retrain_factor_and_a_length_check_together_are_refused(tmp_path, capsys):
    code = _module().main(["--quick", "--dataset", "mnist-5k", "--out", str(tmp_path), "--retrain-factor", "2",
                           "--length-check", "2"])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert "--retrain-factor" in err and "--length-check" in err and "\n" not in err
    assert not any(tmp_path.iterdir())


def test_length_check_1_retrains_for_the_trial_epochs_without_a_check(tmp_path, capsys):
    out = _run(tmp_path, capsys, "--model", "mlp", "--dataset", "mnist-5k", "--length-check", "1")
    assert "length check" not in out
    storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(
        str(tmp_path / "fashion-mlp-quick" / "journal.log")))
    final = optuna.load_study(study_name="fashion-mlp-quick", storage=storage).user_attrs["final"]
    assert final["length_check"] is None and final["epochs"] == 1


def test_top_2_revalidates_two_candidates_on_the_final_seeds_and_picks_the_best_mean(tmp_path, capsys):
    out = _run(tmp_path, capsys, "--model", "mlp", "--dataset", "mnist-5k", "--length-check", "1", "--top", "2")
    assert "re-training 2 candidates on validation, 6 runs side by side" in out
    storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(
        str(tmp_path / "fashion-mlp-quick" / "journal.log")))
    final = optuna.load_study(study_name="fashion-mlp-quick", storage=storage).user_attrs["final"]
    assert len(final["candidates"]) == 2 and all(len(c["val_per_seed"]) == 3 for c in final["candidates"])
    assert final["chosen"] == max(final["candidates"], key=lambda c: (c["val_mean"], c["search_value"]))
    assert f"(trained again on 3 seed(s): mean {final['chosen']['val_mean']:.4f}, the best of 2 candidates)" in out
    assert all(c["val_seconds"] > 0 for c in final["candidates"])


def _have_fashion() -> bool:
    try:
        find_idx_dir("fashion-mnist")
    except DataError:
        return False
    return True


@pytest.mark.skipif(not _have_fashion() and not os.environ.get("CI"), reason="Fashion-MNIST is not installed "
                    "(apt-get install dataset-fashion-mnist); CI installs it, and there this test never skips")
def test_quick_search_on_fashion_mnist_uses_its_test_split(tmp_path, capsys):
    out = _run(tmp_path, capsys, "--model", "mlp", "--time-budget", "900")
    assert "on fashion-mnist" in out
    assert 0.5 < float(re.search(r"TEST (\d\.\d+)", out).group(1)) <= 1.0


def test_an_earlier_study_warm_starts_the_next_and_a_bad_box_is_one_line(tmp_path, capsys):
    first = _run(tmp_path, capsys, "--model", "mlp", "--dataset", "mnist-5k", "--name", "earlier", "--trials", "2")
    assert "TEST" in first
    code = _module().main(["--quick", "--n-jobs", "1", "--out", str(tmp_path), "--epochs", "1", "--model", "mlp",
                           "--dataset", "mnist-5k", "--name", "later", "--trials", "1", "--no-priors",
                           "--warm-start", str(tmp_path / "earlier"), "--report-only"])
    assert code == 2 and "run the search first" in capsys.readouterr().err  # the warm start alone runs nothing
    storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(
        str(tmp_path / "earlier" / "journal.log")))
    earlier = optuna.load_study(study_name="earlier", storage=storage)
    best = max((t for t in earlier.trials if t.value is not None), key=lambda t: t.value)
    _run(tmp_path, capsys, "--model", "mlp", "--dataset", "mnist-5k", "--name", "later", "--trials", "3",
         "--no-priors", "--warm-start", str(tmp_path / "earlier"))
    later = optuna.load_study(study_name="later", storage=optuna.storages.JournalStorage(
        optuna.storages.journal.JournalFileBackend(str(tmp_path / "later" / "journal.log"))))
    configs = later.user_attrs["priors"]["configs"]
    assert configs[0]["params"] == best.params and configs[0]["source"].startswith(f"study earlier trial {best.number}")
    assert later.trials[0].params == best.params  # tried first
    for bad in (["--box", "lr=0.1"], ["--box", "lr=1:0.1"], ["--warm-start", str(tmp_path / "nowhere")]):
        code = _module().main(["--quick", "--out", str(tmp_path / "bad"), "--dataset", "mnist-5k", *bad])
        err = capsys.readouterr().err.strip()
        assert code == 2 and err.startswith("error:") and "\n" not in err, err
    assert not (tmp_path / "bad").exists()


@pytest.mark.parametrize(("model", "budget", "epochs"), [("cnn", 3600, 20), ("cnn", 7200, 20), ("cnn", 900, 7),
                                                         ("cnn", 60, 3), ("mlp", 3600, 40), ("mlp", 900, 25)])
def test_a_shorter_budget_gets_shorter_full_trials(model, budget, epochs, tmp_path):
    module = _module()
    args = module.build_parser().parse_args(["--model", model, "--time-budget", str(budget), "--out", str(tmp_path)])
    spec = module.make_spec(args, n_jobs=2)
    assert spec.settings.epochs == epochs  # an hour keeps the full length; 900 s: a third of it per trial
    given = module.build_parser().parse_args(["--model", model, "--time-budget", str(budget), "--epochs", "11"])
    assert module.make_spec(given, n_jobs=2).settings.epochs == 11  # --epochs wins


@pytest.mark.parametrize(("argv", "factor"), [
    (["--model", "cnn", "--time-budget", "3600"], 2.0),   # full-length trials of 20 epochs: 40
    (["--model", "cnn", "--time-budget", "900"], 4.0),    # trials shortened to 7 epochs: 28
    (["--model", "mlp", "--time-budget", "900"], 4.0),
    (["--model", "cnn", "--time-budget", "900", "--length-check", "3"], 3.0),  # the user's factor wins
    (["--model", "cnn", "--time-budget", "900", "--retrain-factor", "1.5"], 1.5),
    (["--model", "cnn", "--time-budget", "900", "--quick"], 2.0),  # a demo stays short
    (["--model", "cnn", "--time-budget", "3600", "--epochs", "5"], 4.0),
])
def test_the_retraining_looks_further_when_the_budget_shortened_the_trials(argv, factor, tmp_path):
    module = _module()
    args = module.build_parser().parse_args([*argv, "--out", str(tmp_path)])
    spec = module.make_spec(args, n_jobs=2)
    assert module.length_factor(args, spec.settings.epochs) == factor


@pytest.mark.parametrize(("argv", "tta"), [([], True), (["--recipe", "plain"], False), (["--dataset", "mnist"], False)])
def test_fashion_mnist_s_modern_recipe_scores_with_the_flip_average(argv, tta, tmp_path):
    module = _module()
    args = module.build_parser().parse_args(["--model", "cnn", "--out", str(tmp_path), *argv])
    settings = module.make_spec(args, n_jobs=2).settings
    assert settings.tta_flip is tta
    assert not tta or settings.augment_flip  # averaged over mirrors only where it trained on them
