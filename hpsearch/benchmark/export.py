"""Analyse a benchmark and write it where ``reports`` reads it: ``<out_dir>/<name>/export/``.

Files (each table as ``.parquet`` and ``.csv``):

* ``trials``, ``runs``: the tidy results (:mod:`hpsearch.benchmark.results`);
* ``best_so_far``: per task, method, axis (epochs | seconds) and budget x: IQM of the best-so-far score across
  seeds with its bootstrap CI, median and quartiles;
* ``final``: per task and method, the final best validation score and the chosen configuration's test score
  (IQM + CI, median + quartiles);
* ``time_to_target``: per task, method and axis: target, success rate, median budget to target, ERT + CI and
  the speed-up over the reference method + CI;
* ``ranking``: per task and method, the rank by final score and by ERT;
* ``profile``: the performance profile (per axis);
* ``meta.json``: the benchmark's definition, machine, versions, tables' provenance, the definitions of every
  metric, and the ``headline``.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hpsearch.benchmark import metrics as M
from hpsearch.benchmark.results import BenchmarkResult
from safefiles import write_file

__all__ = ["Analysis", "analyze", "headline", "write_export", "TABLES"]

TABLES = ("trials", "runs", "best_so_far", "final", "time_to_target", "ranking", "profile")
AXES = ("epochs", "seconds")

DEFINITIONS = {
    "best_so_far": "best validation score among the run's COMPLETE trials finished within the budget x",
    "target": "the task's own target when it has one (fashion-cnn: 0.92), else the lower median of the "
              "reference method's final best validation scores on the task",
    "budget_to_target": "budget spent when the first COMPLETE trial scoring >= target finished (inf: never)",
    "ert": "expected running time: budget spent by all runs (each up to its success, else the whole limit) "
           "divided by the number of successes",
    "speedup": "ERT(reference) / ERT(method); 95% percentile bootstrap over each method's seeds, target fixed",
    "iqm": "interquartile mean across seeds (int(n/4) values cut at each end), 95% percentile bootstrap CI",
    "profile": "fraction of tasks on which the method's ERT is within tau of the best method's ERT",
    "seconds": "per trial: live wall time from claim to tell; replay: stored training seconds of the epochs "
               "run plus the measured sampler cost. Seconds comparisons stop at each task's smallest total.",
    "equal_budget": "every run spends budget x epochs (pruned runs run more trials); narrowing runs its "
                    "rounds of budget // rounds trials",
}


@dataclass(frozen=True)
class Analysis:
    best_so_far: pd.DataFrame
    final: pd.DataFrame
    time_to_target: pd.DataFrame
    ranking: pd.DataFrame
    profile: pd.DataFrame
    headline: dict[str, Any]


def analyze(result: BenchmarkResult, *, rng: np.random.Generator, n_boot: int = 2000, points: int = 101,
            headline_task: str = "book", headline_axis: str = "epochs", headline_method: str | None = None
            ) -> Analysis:
    """Every metric table of ``result`` (see the module docstring); bootstraps draw from ``rng``. The headline
    is about ``headline_task``, on ``headline_axis``, about ``headline_method`` (None: the fastest)."""
    reference = result.meta.get("benchmark", {}).get("reference", "random")
    trials, runs = result.trials, result.runs
    fixed = {str(t["name"]): float(t["target"]) for t in result.meta.get("benchmark", {}).get("tasks", [])
             if isinstance(t, dict) and t.get("target") is not None}
    goal = {**M.targets(runs, reference), **{k: v for k, v in fixed.items() if k in set(runs["task"])}}
    curves, ttt, profiles = [], [], []
    for axis in AXES:
        bsf = M.best_so_far(trials, runs, axis=axis, points=points)
        curves.append(M.curve_summary(bsf, rng=rng, n_boot=n_boot).assign(axis=axis))
        t = M.time_to_target(M.budget_to_target(trials, runs, goal, axis=axis), reference=reference, rng=rng,
                             n_boot=n_boot)
        ttt.append(t.assign(axis=axis))
        profiles.append(M.performance_profile(t).assign(axis=axis))
    final = M.final_scores(runs, rng=rng, n_boot=n_boot)
    time_table = pd.concat(ttt, ignore_index=True)
    ranking = M.ranking(final, ttt[0])
    task = headline_task if headline_task in set(runs["task"]) else str(runs["task"].iloc[0])
    return Analysis(best_so_far=pd.concat(curves, ignore_index=True), final=final, time_to_target=time_table,
                    ranking=ranking, profile=pd.concat(profiles, ignore_index=True),
                    headline=headline(time_table, task=task, reference=reference, axis=headline_axis,
                                      method=headline_method, fixed_target=task in fixed))


def _num(v: Any) -> float | None:
    v = float(v)
    return v if math.isfinite(v) else (None if math.isnan(v) else v)


MIN_SEEDS_FOR_CI = 3


def verdict(low: float | None, high: float | None, runs: int) -> str:
    """'faster' when the speed-up's CI lies above 1, 'slower' below 1, else 'no clear winner'; 'no CI' from
    fewer than MIN_SEEDS_FOR_CI seeds (a bootstrap of one or two seeds is no interval)."""
    if runs < MIN_SEEDS_FOR_CI or low is None or high is None:
        return "no CI"
    if low > 1:
        return "faster"
    if high < 1:
        return "slower"
    return "no clear winner"


def _sentence(out: dict[str, Any], reference: str) -> str:
    """The headline sentence: it names a winner only when the speed-up's CI (on the headline's axis) excludes 1."""
    task, method, axis = out["task"], out["method"], out.get("axis", "epochs")
    lo, hi = out[f"ci_{axis}"]
    unit = " s" if axis == "seconds" else " epochs"
    if out.get("fixed_target"):
        goal, versus = f"the task's target validation score ({out['target']:.3f})", f" than {reference}"
    else:
        goal, versus = f"{reference} search's median final best validation score ({out['target']:.3f})", ""
    speed = f"{out[f'speedup_{axis}']:.2f}x"
    facts = f"{method} reaches {goal} {speed} faster in {axis}{versus}"
    ert = (f"ERT {_fmt(out[f'ert_{axis}'], '.0f')} vs {_fmt(out[f'ert_reference_{axis}'], '.0f')}{unit}, "
           f"{out['runs']} seeds")
    if out["verdict"] == "no CI":
        why = (f"with {out['runs']} seed(s) per method (fewer than {MIN_SEEDS_FOR_CI}) there is no confidence "
               "interval" if out["runs"] < MIN_SEEDS_FOR_CI else "the speed-up has no confidence interval")
        return f"No clear winner on {task}: {why}; the point estimate: {facts} ({ert})."
    ci = f"95% CI {_fmt(lo)}-{_fmt(hi)}"
    which = f"{method}'s" if out.get("chosen") else f"the largest speed-up over {reference} search, {method}'s"
    if out["verdict"] == "faster":
        text = f"On {task}, {facts} ({ci}, above 1: a clear winner; {ert})"
    elif out["verdict"] == "slower" and out.get("chosen"):
        text = (f"On {task}, {method} is slower than {reference}: a speed-up of {speed} in {axis} to {goal} "
                f"({ci}, below 1; {ert})")
    elif out["verdict"] == "slower":
        text = (f"No method beats {reference} search on {task}: even the fastest, {method}, has a speed-up of "
                f"{speed} ({ci}, below 1; {ert})")
    else:
        text = f"No clear winner on {task}: {which} {speed} in {axis} to {goal} has a {ci} that spans 1 ({ert})"
    other = "seconds" if axis == "epochs" else "epochs"
    if f"speedup_{other}" in out:
        olo, ohi = out[f"ci_{other}"]
        text += f"; in {other} {_fmt(out[f'speedup_{other}'])}x (95% CI {_fmt(olo)}-{_fmt(ohi)})"
    return text + "."


def _axis_facts(ttt: pd.DataFrame, task: str, method: str, reference: str, axis: str) -> dict[str, Any]:
    rows = ttt.loc[(ttt["task"] == task) & (ttt["axis"] == axis)]
    mine, ref = rows.loc[rows["method"] == method], rows.loc[rows["method"] == reference]
    if mine.empty:
        return {}
    m = mine.iloc[0]
    return {f"speedup_{axis}": _num(m["speedup"]), f"ci_{axis}": [_num(m["speedup_low"]), _num(m["speedup_high"])],
            f"ert_{axis}": _num(m["ert"]), f"ert_reference_{axis}": _num(ref["ert"].iloc[0]) if len(ref) else None}


def headline(ttt: pd.DataFrame, *, task: str, reference: str = "random", axis: str = "epochs",
             method: str | None = None, fixed_target: bool = False) -> dict[str, Any]:
    """The fastest method on ``task`` (largest speed-up on ``axis`` over ``reference``; ``method``: that one
    instead), its speed-ups with CIs in epochs and in seconds, the ``verdict`` on ``axis`` (see
    :func:`verdict`), the ``winner`` (that method only when its CI lies above 1, else None) and one sentence
    that claims no more than the verdict. ``fixed_target``: the task's target is its own, not the reference's."""
    if axis not in AXES:
        raise ValueError(f"headline axis {axis!r} is unknown; use one of {', '.join(AXES)}")
    rows = ttt.loc[(ttt["task"] == task) & (ttt["axis"] == axis) & (ttt["method"] != reference)]
    rows = rows.loc[np.isfinite(rows["speedup"].to_numpy(dtype=float))]
    if method is not None:
        rows = rows.loc[rows["method"] == method]
    if rows.empty:
        who = method or "no method"
        return {"task": task, "reference": reference, "axis": axis,
                "text": f"{who} reached the target on {task} in none of its seeds, or {reference} did not"
                if method else f"no method reached the target on {task}"}
    best = rows.sort_values(["speedup", "ert"], ascending=[False, True], kind="stable").iloc[0]
    name = str(best["method"])
    out = {"task": task, "reference": reference, "method": name, "axis": axis, "chosen": method is not None,
           "fixed_target": fixed_target, "target": _num(best["target"]), "success": _num(best["success"]),
           "runs": int(best["runs"])}
    for a in AXES:
        out |= _axis_facts(ttt, task, name, reference, a)
    out["verdict"] = verdict(*out[f"ci_{axis}"], out["runs"])
    out["winner"] = out["method"] if out["verdict"] == "faster" else None
    out["text"] = _sentence(out, reference)
    return out


def _fmt(v: float | None, spec: str = ".2f") -> str:
    if v is None:
        return "n/a"
    return "inf" if math.isinf(v) else format(v, spec)


def _write_table(frame: pd.DataFrame, out: Path, name: str) -> None:
    write_file(out / f"{name}.parquet", lambda p: frame.to_parquet(p, index=False))
    write_file(out / f"{name}.csv", lambda p: frame.to_csv(p, index=False))


def write_export(result: BenchmarkResult, analysis: Analysis, out_dir: str | Path) -> Path:
    """Write the tables and ``meta.json`` into ``out_dir`` (created); returns it."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    trials = result.trials.copy()
    for col in [c for c in trials.columns if str(c).startswith("param_")]:
        if trials[col].dtype == object:  # mixed categorical values: store as text
            trials[col] = trials[col].map(lambda v: v if v is None or isinstance(v, str) else str(v))
    tables = {"trials": trials, "runs": result.runs, "best_so_far": analysis.best_so_far,
              "final": analysis.final, "time_to_target": analysis.time_to_target, "ranking": analysis.ranking,
              "profile": analysis.profile}
    for name, frame in tables.items():
        _write_table(frame, out, name)
    meta = {**result.meta, "headline": analysis.headline, "definitions": DEFINITIONS,
            "exported": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"), "tables": list(TABLES)}
    write_file(out / "meta.json", json.dumps(meta, indent=2, default=str) + "\n")
    return out
