"""Export -> files -> reports round trip as a property over random trial tables (hypothesis).

A random study (0-9 trials in any state, conditional parameters, diverged trials with null losses, missing
results, arbitrary unicode worker names) is built in an in-memory Optuna storage and exported by
``hpsearch.export``. The tables hold the trials that ran (the WAITING ones are left out and counted in meta).
What ``reports.load_export`` reads back from the files must equal the exported tables (parquet: exactly;
csv: every number and state), and the rendered page must agree with the data: counts by state, and the
top-k table's rows and order.
"""

from __future__ import annotations

import math
import re
import tempfile
from pathlib import Path

import numpy as np
import optuna
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from optuna.trial import TrialState

from hpsearch import ObjectiveSettings, ParamSpec, SearchSpace, StudySpec, export

SPACE = SearchSpace((
    ParamSpec("weight_decay", low=1e-8, high=1e-4, log=True),
    ParamSpec("lr", low=1e-6, high=1e-1, log=True),
    ParamSpec("optimizer", kind="categorical", choices=("sgd", "momentum", "adam")),
    ParamSpec("momentum", low=0.5, high=0.99, when=("optimizer", ("momentum",))),
))
SPEC = StudySpec(name="roundtrip", space=SPACE, settings=ObjectiveSettings(epochs=4), n_trials=9)
STATES = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL, TrialState.RUNNING, TrialState.WAITING)
metric = st.one_of(st.none(), st.floats(0.0, 1.0))  # None: a non-finite value, stored as null


@st.composite
def trial_rows(draw):
    state = draw(st.sampled_from(STATES))
    params = {"weight_decay": draw(st.floats(1e-8, 1e-4)), "lr": draw(st.floats(1e-6, 1e-1)),
              "optimizer": draw(st.sampled_from(("sgd", "momentum", "adam")))}
    if params["optimizer"] == "momentum":
        params["momentum"] = draw(st.floats(0.5, 0.99))
    epochs = draw(st.integers(0, 4))
    attrs = {"slot": draw(st.integers(0, 8)), "seed": draw(st.integers(0, 2**32 - 1)),
             "worker": draw(st.text(max_size=12))}
    if state != TrialState.WAITING and draw(st.booleans()):
        curves = {m: draw(st.lists(metric, min_size=epochs, max_size=epochs))
                  for m in ("train_acc", "val_acc", "train_loss", "val_loss")}
        attrs["curves"] = {**curves, "step": list(range(epochs))}
        attrs["result"] = {"best_val_acc": draw(st.floats(0.0, 1.0)), "diverged": draw(st.booleans()),
                           "epochs_run": epochs, "samples": draw(st.integers(0, 10**6)),
                           "seconds": draw(st.floats(0.0, 1e4))}
    value = draw(st.floats(0.0, 1.0)) if state == TrialState.COMPLETE else None
    steps = draw(st.dictionaries(st.integers(0, 3), st.floats(0.0, 1.0), max_size=3))
    return state, params, attrs, value, steps if state == TrialState.PRUNED else {}


def _study(rows) -> optuna.Study:
    study = optuna.create_study(study_name=SPEC.name, direction="maximize")
    study.set_user_attr("spec", SPEC.to_dict())
    distributions = SPACE.distributions()
    for state, params, attrs, value, steps in rows:
        if state == TrialState.WAITING:
            study.enqueue_trial(params, user_attrs=attrs)
            continue
        study.add_trial(optuna.trial.create_trial(
            state=state, value=value, params=params, distributions={k: distributions[k] for k in params},
            user_attrs=attrs, intermediate_values=steps))
    return study


def _frames_equal(a: pd.DataFrame, b: pd.DataFrame, columns) -> None:
    for column in columns:
        left, right = a[column].tolist(), b[column].tolist()
        same = [x == y or (_isnan(x) and _isnan(y)) for x, y in zip(left, right, strict=True)]
        assert all(same), (column, left, right)


def _isnan(v) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))


studies = st.lists(trial_rows(), max_size=9)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=studies)
def test_what_reports_reads_back_is_what_hpsearch_exported(rows):
    from reports import load_export

    study = _study(rows)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "export"
        tables = export(study, out_dir=folder)
        trials = study.get_trials(deepcopy=False)
        waiting = [t for t in trials if t.state == TrialState.WAITING]  # never started: left out
        assert sorted(tables.trials["number"]) == sorted(t.number for t in trials if t not in waiting)
        assert tables.meta["counts"] == {s.name: sum(t.state == s for t in trials) for s in TrialState}
        assert tables.meta["waiting_left_out"] == len(waiting)
        ran_slots = {t.user_attrs["slot"] for t in trials if t not in waiting}
        assert tables.meta["slots_ran"] == len(ran_slots)
        # a slot unused: no trial that ran (a WAITING one, or none at all: lazy slots)
        assert tables.meta["unused_slots"] == len(set(range(SPEC.n_trials)) - ran_slots)
        assert all(np.isfinite(v) or s not in ("COMPLETE",) for v, s in zip(tables.trials["value"],
                                                                              tables.trials["state"], strict=True))
        loaded = load_export(folder)
        assert loaded.study == SPEC.name and loaded.meta["n_trials"] == SPEC.n_trials
        exported = tables.trials.sort_values("number").reset_index(drop=True)
        _frames_equal(exported, loaded.trials, tables.trials.columns)  # parquet: every column exactly
        curves = tables.curves.sort_values(["number", "metric", "epoch"], kind="stable").reset_index(drop=True)
        _frames_equal(curves, loaded.curves, tables.curves.columns)
        for stem in ("trials", "curves"):
            (folder / f"{stem}.parquet").unlink()
        from_csv = load_export(folder)
        numbers = ["number", "value", "best_val_acc", "seconds", "epochs_run", "seed", "param_lr", "param_momentum"]
        _frames_equal(exported, from_csv.trials, [*numbers, "state", "diverged", "param_optimizer"])
        _frames_equal(curves, from_csv.curves, ["number", "epoch", "metric", "value"])


def _complete(value: float, optimizer: str = "sgd", worker: str = "h:1"):
    attrs = {"slot": 0, "seed": 1, "worker": worker}
    return TrialState.COMPLETE, {"weight_decay": 1e-6, "lr": 1e-3, "optimizer": optimizer}, attrs, value, {}


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=studies)
@example(rows=[_complete(0.5), _complete(0.9, worker="<b>w"), _complete(0.5), _complete(0.1, "adam"),
               (TrialState.FAIL, {"weight_decay": 1e-6, "lr": 1.0e-2, "optimizer": "sgd"}, {}, None, {})])
def test_the_rendered_page_agrees_with_the_exported_data(rows):
    from reports import render

    study = _study(rows)
    with tempfile.TemporaryDirectory() as tmp:
        tables = export(study, out_dir=Path(tmp) / "export")
        page = render(Path(tmp) / "export", out_dir=Path(tmp) / "report", top_k=5).read_text(encoding="utf-8")
    trials = tables.trials
    for state in ("COMPLETE", "PRUNED", "FAIL", "RUNNING", "WAITING"):
        assert f"<th>{state.lower()}</th><td>{int((trials['state'] == state).sum())}</td>" in page
    scored = trials[(trials["state"] == "COMPLETE") & np.isfinite(trials["value"])]
    best = scored.sort_values(["value", "number"], ascending=[False, True]).head(5)
    if best.empty:
        assert "No COMPLETE trial with a score." in page
    else:
        top = page.split('id="T_topk"', 1)[1].split("</table>", 1)[0]
        body = top.split("<tbody>", 1)[1]
        assert body.count("<tr>") == len(best)
        cells = [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in body.split("<tr>")[1:]]
        assert [int(r[1]) for r in cells] == best["number"].tolist()  # rank, then the trial number
        assert [float(r[2]) for r in cells] == pytest.approx(best["value"].tolist(), abs=5e-4)
