"""Narrowing rounds: linked studies, spaces recomputed from the parent's trials, stop rules, final pick, resume."""

from __future__ import annotations

import dataclasses
import json

import optuna
import pytest

from hpsearch import ObjectiveSettings, StudySpec, book_space
from hpsearch.narrowing.rounds import outcomes, run_narrowing
from hpsearch.narrowing.rule import NarrowRule, narrow, widen_past
from hpsearch.objectives.registry import OBJECTIVES, get_objective
from hpsearch.storages.opener import open_storage

TINY = ObjectiveSettings(n_samples=200, hidden=(20, 20), epochs=3)


def _spec(tmp_path, **kw):
    return StudySpec(name="nar", space=book_space(lr=(1e-4, 1e-0)), settings=TINY, n_trials=6,
                     out_dir=str(tmp_path), **kw)


def _load(tmp_path, name):
    return optuna.load_study(study_name=name, storage=open_storage(str(tmp_path / name / "journal.log")))


def test_rounds_are_linked_studies_whose_spaces_come_from_the_parent(tmp_path):
    rule = NarrowRule(top_k=3)
    res = run_narrowing(_spec(tmp_path), rounds=3, rule=rule, n_jobs=1, progress=False, min_width=0.01,
                        patience=3, final_top=2, final_seeds=2)
    assert [r["study"] for r in res.rounds] == ["nar-r1", "nar-r2", "nar-r3"]
    assert res.stop_reason == "round limit (3)"
    r1, r2 = _load(tmp_path, "nar-r1"), _load(tmp_path, "nar-r2")
    expected, _ = narrow(book_space(lr=(1e-4, 1e-0)), outcomes(r1), rule)
    assert r2.user_attrs["spec"]["space"] == expected.to_dict()
    assert r2.user_attrs["spec"]["parent"] == "nar-r1"
    assert r2.user_attrs["narrowing"]["parent"] == "nar-r1"
    assert r2.user_attrs["narrowing"]["rule"] == rule.to_dict()
    assert all(len(r.get_trials()) == 6 for r in (r1, r2))
    # the final pick: chosen by validation among the best trials, then scored once on the test split
    final = res.final
    assert len(final["candidates"]) == 2 and len(final["test_per_seed"]) == 2
    assert final["chosen"]["val_mean"] == max(c["val_mean"] for c in final["candidates"])
    assert 0.0 <= final["test_mean"] <= 1.0
    saved = json.loads((tmp_path / "nar" / "narrowing.json").read_text())
    assert saved["final"]["chosen"]["params"] == final["chosen"]["params"]


def test_rerun_resumes_without_new_trials_and_gives_the_same_result(tmp_path):
    kw = dict(rounds=2, rule=NarrowRule(top_k=2), n_jobs=1, progress=False, final_top=1, final_seeds=1)
    first = run_narrowing(_spec(tmp_path), **kw)
    again = run_narrowing(_spec(tmp_path), **kw)
    assert [len(_load(tmp_path, f"nar-r{r}").get_trials()) for r in (1, 2)] == [6, 6]
    assert again.final["chosen"] == first.final["chosen"]
    assert [r["best"] for r in again.rounds] == [r["best"] for r in first.rounds]


def test_stops_when_boxes_are_narrow_or_nothing_improves(tmp_path):
    res = run_narrowing(_spec(tmp_path), rounds=5, rule=NarrowRule(top_k=1, padding=0.0, min_pad=0.01),
                        n_jobs=1, progress=False, min_width=0.5, final_top=1, final_seeds=1)
    assert res.stop_reason.startswith("boxes narrower") and len(res.rounds) < 5
    with pytest.raises(ValueError, match="rounds"):
        run_narrowing(_spec(tmp_path), rounds=0)


def test_the_step_beyond_the_book_widens_the_pressed_sides_and_records_its_gain(tmp_path):
    rule = NarrowRule(top_k=2, press=1.0)  # press=1: every side counts as pressed, so the step always runs
    phases = []
    res = run_narrowing(_spec(tmp_path), rounds=2, rule=rule, n_jobs=1, progress=False, final_top=2,
                        final_seeds=1, beyond=0.25, on_phase=phases.append)
    assert [r["study"] for r in res.rounds] == ["nar-r1", "nar-r2", "nar-beyond"]
    r2, beyond = _load(tmp_path, "nar-r2"), _load(tmp_path, "nar-beyond")
    _, rec = narrow(StudySpec.from_dict(r2.user_attrs["spec"]).space, outcomes(r2), rule)
    assert res.beyond["pressed"] == {n: p["pressed"] for n, p in rec["params"].items()}
    last = StudySpec.from_dict(r2.user_attrs["spec"]).space
    expected, _ = widen_past(last, res.beyond["pressed"], book_space(lr=(1e-4, 1e-0)), widen=0.25)
    assert beyond.user_attrs["spec"]["space"] == expected.to_dict()
    assert beyond.user_attrs["spec"]["parent"] == "nar-r2" and beyond.user_attrs["narrowing"]["beyond_book"]
    best = max(t.value for t in beyond.trials)
    book_best = max(max(t.value for t in _load(tmp_path, f"nar-r{r}").trials) for r in (1, 2))
    assert res.beyond["best"] == best and res.beyond["book_best"] == book_best
    assert res.beyond["gain"] == pytest.approx(best - book_best)
    assert phases[:3] == ["round 1/2: 6 trials of nar-r1", "round 2/2: 6 trials of nar-r2",
                          "beyond the book: 6 trials of nar-beyond past the pressed bound(s)"]
    assert phases[-1].startswith("final pick: scoring the chosen configuration on the test split")
    saved = json.loads((tmp_path / "nar" / "narrowing.json").read_text())
    assert saved["beyond"]["study"] == "nar-beyond" and saved["rounds"][-1]["beyond_book"] is True


def test_no_step_beyond_the_book_when_no_bound_is_pressed(tmp_path):
    res = run_narrowing(_spec(tmp_path), rounds=1, rule=NarrowRule(top_k=2, press=0.0), n_jobs=1, progress=False,
                        final_top=1, final_seeds=1, beyond=0.25)
    assert [r["study"] for r in res.rounds] == ["nar-r1"]
    assert res.beyond["ran"] is False and res.beyond["reason"] == "the best trials of nar-r1 pressed against no bound"


@pytest.fixture
def mlp_error(monkeypatch):
    """``mlp-error``: the mlp objective scored by its validation error (minimize)."""
    mlp = get_objective("mlp")

    def error(res):
        return dataclasses.replace(res, value=1.0 - res.value)

    def evaluate(params, settings, *, seed, on_epoch=None):
        return error(mlp.evaluate(params, settings, seed=seed, on_epoch=on_epoch))

    def fit(params, settings, *, seed, on_epoch=None, data=None):
        net, res = mlp.fit(params, settings, seed=seed, on_epoch=on_epoch, data=data)
        return net, error(res)

    monkeypatch.setitem(OBJECTIVES, "mlp-error", dataclasses.replace(
        mlp, name="mlp-error", evaluate=evaluate, fit=fit, direction="minimize", metric="val_error"))


def test_a_minimizing_objective_narrows_and_picks_in_its_direction(tmp_path, mlp_error):
    res = run_narrowing(_spec(tmp_path, objective="mlp-error"), rounds=2, rule=NarrowRule(top_k=2), n_jobs=1,
                        progress=False, final_top=2, final_seeds=2)
    for summary in res.rounds:  # "best" is the lowest error of the round
        values = [t.value for t in _load(tmp_path, summary["study"]).trials]
        assert summary["best"] == min(values)
    final = res.final
    assert final["direction"] == "minimize" and final["studies"] == ["nar-r1", "nar-r2"]
    pool = sorted(t.value for r in (1, 2) for t in _load(tmp_path, f"nar-r{r}").trials)
    assert final["candidates"][0]["search_value"] == pool[0]
    assert final["chosen"]["val_mean"] == min(c["val_mean"] for c in final["candidates"])
