"""The time estimate printed before a run: its arithmetic, its probes, and where a user sees it."""

from __future__ import annotations

import json
import time

import pytest

from hpsearch import ObjectiveSettings, run
from hpsearch.cli import main
from hpsearch.execution import estimate as est
from hpsearch.execution.estimate import Estimate, duration, estimate, estimate_run, scaled, time_trial
from hpsearch.objectives.registry import Objective, register
from hpsearch.objectives.training import TrialResult

SLEEP = 0.01  # seconds per evaluation of the sleepy objective
CALLS: list[int] = []  # evaluations each call of the sleepy objective ran


def _sleepy(params, settings, *, seed, on_epoch=None):
    """Sleeps SLEEP per evaluation; stops when on_epoch says so (as the real objectives do)."""
    ran = 0
    for epoch in range(settings.epochs):
        time.sleep(SLEEP)
        ran += 1
        if on_epoch is not None and on_epoch(epoch, 0.5):
            break
    CALLS.append(ran)
    curves = {"train_acc": [0.5], "val_acc": [0.5], "train_loss": [1.0], "val_loss": [1.0]}
    return TrialResult(0.5, 0.5, False, ran < settings.epochs, ran, 0, ran * SLEEP, curves, [0])


register(Objective("test-sleepy", ObjectiveSettings, _sleepy, ("lr", "weight_decay")), replace=True)


@pytest.mark.parametrize(("seconds", "text"), [(0.04, "0.1 s"), (0.34, "0.3 s"), (9.4, "9.4 s"), (42, "42 s"),
                                               (59.4, "59 s"), (61, "1 min"), (1499, "25 min"), (3600, "1 h"),
                                               (4800, "1 h 20 min")])
def test_durations_read_at_a_glance(seconds, text):
    assert duration(seconds) == text


def test_the_arithmetic_rounds_of_workers_studies_and_retraining(make_spec):
    spec = make_spec("arith", n_trials=100)
    one = estimate(spec, 2, per_trial=0.5)
    assert one.seconds == pytest.approx(est.STARTUP_SECONDS + 50 * 0.5)  # 50 rounds of 2 trials side by side
    assert estimate(spec, 3, per_trial=0.5).seconds == pytest.approx(est.STARTUP_SECONDS + 34 * 0.5)
    assert estimate(spec, 8, remaining=3, per_trial=1.0).seconds == pytest.approx(est.STARTUP_SECONDS + 1.0)
    job = estimate(spec, 2, per_trial=0.5, studies=3, extra=12)
    assert job.seconds == pytest.approx(3 * one.seconds + 12 * 0.5)  # the retraining runs one after the other
    assert "3 studies of 100 trials of ~0.5 s each on 2 workers, then 12 retrainings" in job.line()
    assert job.line("the job").startswith(f"the job takes about {duration(job.seconds)} (")


def test_a_pruner_makes_it_a_bound_and_a_budget_caps_it(make_spec):
    pruned = estimate(make_spec("p", n_trials=100, pruner="median"), 2, per_trial=1.0)
    assert pruned.upper and "takes at most 53 s" in pruned.line() and "a pruner stops some early" in pruned.line()
    capped = estimate(make_spec("b", n_trials=100), 2, per_trial=1.0, time_budget=20)
    assert capped.capped and "takes at most 20 s" in capped.line() and "the time budget ends it first" in capped.line()
    roomy = estimate(make_spec("r", n_trials=10), 2, per_trial=1.0, time_budget=3600)
    assert not roomy.capped and "takes about 8.0 s" in roomy.line()
    assert "nothing to train" in Estimate(0.0, 0.0, 0, 2).line()


def test_the_probes_stop_early_and_scale_to_a_full_trial(make_spec):
    spec = make_spec("probe", objective="test-sleepy", settings=ObjectiveSettings(epochs=40), n_trials=5)
    CALLS.clear()
    per_trial = time_trial(spec)
    # a warm-up of one evaluation, then two probes of PROBE_EVALS: never a whole 40-evaluation trial
    assert CALLS == [1, est.PROBE_EVALS, est.PROBE_EVALS]
    assert per_trial >= 40 * SLEEP  # each evaluation sleeps at least SLEEP: scaled to the 40 of a trial
    quick = spec.replace(settings=ObjectiveSettings(epochs=10))
    assert scaled(spec, per_trial, quick) == pytest.approx(per_trial / 4)


def test_a_real_size_first_probe_is_the_only_one(make_spec, monkeypatch):
    spec = make_spec("slow", objective="test-sleepy", settings=ObjectiveSettings(epochs=30), n_trials=5)
    monkeypatch.setattr(est, "SLOW_PROBE", 0.0)  # as if one evaluation took longer than the threshold
    CALLS.clear()
    assert time_trial(spec) >= 30 * SLEEP and CALLS == [1]


def test_a_resumed_study_counts_only_the_trials_left(make_spec):
    spec = make_spec("resume", n_trials=3)
    run(spec, n_jobs=1, progress=False)
    assert estimate_run(spec, 1).trials == 0
    grown = estimate_run(spec.replace(n_trials=7), 1)
    assert grown.trials == 4 and grown.per_trial > 0
    assert estimate_run(spec.replace(name="fresh"), 1).trials == 3


def test_the_cli_says_how_long_before_it_runs(make_spec, tmp_path, capsys):
    spec = make_spec("cli-est", n_trials=2)
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec.to_dict()))
    assert main(["run", str(path), "--n-jobs", "1", "--no-progress"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("this run takes about ") and "2 trials of ~" in first and "on 1 worker," in first
    assert main(["run", str(path), "--n-jobs", "1", "--no-progress"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "this run: every trial has finished already; nothing to train"


def test_a_scripts_line_points_to_quick_only_when_it_was_not_given(make_spec):
    from hpsearch.experiments.script import expected

    spec = make_spec("script-line", n_trials=2)
    assert expected(spec, 1, quick=False).endswith("; --quick runs a small demo budget")
    for quick in (True, None):
        line = expected(spec, 1, quick=quick)
        assert line.startswith("script-line takes about ") and "--quick" not in line


def _deaf(params, settings, *, seed, on_epoch=None):
    """Never calls on_epoch (as the optimizer-curves objective): each call is a whole trial."""
    time.sleep(SLEEP)
    CALLS.append(0)
    curves = {"train_acc": [0.5], "val_acc": [0.5], "train_loss": [1.0], "val_loss": [1.0]}
    return TrialResult(0.5, 0.5, False, False, 1, 0, SLEEP, curves, [0])


register(Objective("test-deaf", ObjectiveSettings, _deaf, ("lr", "weight_decay")), replace=True)


def test_an_objective_that_never_reports_is_timed_whole_not_scaled(make_spec):
    spec = make_spec("deaf", objective="test-deaf", settings=ObjectiveSettings(epochs=2000), n_trials=5)
    CALLS.clear()
    per_trial = time_trial(spec)
    assert CALLS == [0, 0, 0] and SLEEP <= per_trial < 2000 * SLEEP  # not 2000 times a whole trial
