"""A wall-clock budget. No trial starts after it, running trials stop at their next
evaluation (failed and re-queued), the study is a valid, reportable result when the budget ends, and running
the spec again resumes it to exactly ``n_trials`` finished trials, each slot once."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from optuna.trial import TrialState

from hpsearch import ObjectiveSettings, StudySpec, export, run, run_worker, wide_space
from hpsearch.cli.commands import main
from hpsearch.execution.worker import finished_count
from hpsearch.objectives.training import TrialResult
from hpsearch.study import create_study

FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)


def _sleepy(params, settings, *, seed, on_epoch=None):
    """Twenty evaluations 0.1 s apart: a trial that is certainly running when a 0.5 s budget ends."""
    for epoch in range(20):
        time.sleep(0.1)
        if on_epoch is not None and on_epoch(epoch, 0.5):
            break
    curves = {"train_acc": [0.5], "val_acc": [0.5], "train_loss": [1.0], "val_loss": [1.0]}
    return TrialResult(0.5, 0.5, False, False, 20, 100, 2.0, curves, [0])


def test_a_running_trial_stops_at_its_next_evaluation_and_its_slot_is_requeued(make_spec):
    spec = make_spec("sleepy", n_trials=3)
    study = create_study(spec)
    t0 = time.time()
    summary = run_worker(spec, objective=_sleepy, deadline=t0 + 0.5, blas_threads=None)
    assert summary["out_of_time"] and summary["trials"] == 0
    trials = study.get_trials(deepcopy=False)
    failed = [t for t in trials if t.state == TrialState.FAIL]
    assert len(failed) == 1 and failed[0].user_attrs["stopped_by"] == "time_budget"
    assert not [t for t in trials if t.state == TrialState.RUNNING]
    waiting = Counter(t.user_attrs["slot"] for t in trials if t.state == TrialState.WAITING)
    assert waiting == Counter({0: 1})  # the stopped slot is back in the queue, once; slots 1-2 never claimed
    assert [t.user_attrs["slot"] for t in trials] == [0, 0]
    # no trial starts once the budget is spent
    assert run_worker(spec, objective=_sleepy, deadline=time.time() - 1, blas_threads=None)["trials"] == 0
    assert len(study.get_trials(deepcopy=False)) == len(trials)


def test_a_study_stopped_by_its_budget_is_reportable_and_resumes_to_exactly_n_trials(make_spec, tmp_path):
    from reports import render

    settings = ObjectiveSettings(n_samples=300, hidden=(64, 64), epochs=40, batch_size=20)  # ~0.5 s a trial
    spec = make_spec("budget", n_trials=30, settings=settings, space=wide_space(conditionals=False), seed=4)
    study = run(spec, n_jobs=2, time_budget=1.5, progress=False)
    done = finished_count(study, spec.n_trials)
    assert done < spec.n_trials
    states = Counter(t.state for t in study.get_trials(deepcopy=False))
    assert states[TrialState.RUNNING] == 0
    assert study.user_attrs["runs"][-1]["out_of_time"] is True
    export(study)
    page = render(spec.run_dir / "export", out_dir=tmp_path / "page")  # a valid, reportable result as it stands
    assert page.is_file()
    study = run(spec, n_jobs=2, progress=False)  # no budget: finishes the study
    finished = [t for t in study.get_trials(deepcopy=False) if t.state in FINISHED]
    assert len(finished) == spec.n_trials
    assert sorted(t.user_attrs["slot"] for t in finished) == list(range(spec.n_trials))


@pytest.mark.parametrize("budget", ["0", "-5", "nan", "inf"])
def test_a_bad_budget_is_one_line_and_exit_2(budget, tmp_path, capsys):
    code = main(["run", "--out", str(tmp_path), "--n-trials", "2", "--time-budget", budget, "--no-progress"])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert "--time-budget" in err and "\n" not in err
    assert not any(tmp_path.iterdir())


def test_the_api_refuses_a_bad_budget_before_writing(make_spec):
    spec = make_spec("nobudget")
    with pytest.raises(ValueError, match="time_budget 0 is invalid"):
        run(spec, n_jobs=1, time_budget=0)
    assert not spec.run_dir.exists()


def test_specs_are_unchanged_by_a_budget(make_spec):
    """The budget belongs to a launch, not to the study: resuming with another budget is allowed."""
    assert "time_budget" not in StudySpec.__dataclass_fields__


def test_the_cli_runs_within_a_budget_and_says_how_to_go_on(make_spec, tmp_path, capsys):
    import json

    settings = ObjectiveSettings(n_samples=300, hidden=(64, 64), epochs=40, batch_size=20)
    spec = make_spec("cli-budget", n_trials=20, settings=settings)
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec.to_dict()))
    assert main(["run", str(path), "--n-jobs", "1", "--time-budget", "1", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "time budget of 1 s spent" in out and "run the same command again" in out
    assert main(["run", str(path), "--n-jobs", "1", "--time-budget", "1", "--no-progress"]) == 0  # resumes
