"""`render_benchmark(export_dir) -> index.html`: the report of a search-method benchmark.

Reads only the benchmark's export folder (written by hpsearch's benchmark export): `trials`, `runs`,
`best_so_far`, `final`, `time_to_target`, `ranking`, `profile` (`.parquet`, else `.csv`) and `meta.json`.
The page answers "which method, by how much, how sure": the headline speed-up with its confidence interval,
best-so-far curves with bands, the time-to-target table, final validation and test scores, ranks and the
performance profile, then the setup (methods, tasks, budget, seeds, grids, machine, metric definitions).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from reports import figures_bench as FB
from reports import html as H
from safefiles import own_dir
from reports.load import ExportError
from reports.render import FigurePlan, draw_figures, slug
from reports.summaries import MIN_CI

TABLES = ("trials", "runs", "best_so_far", "final", "time_to_target", "ranking", "profile")


@dataclass(frozen=True)
class BenchmarkExport:
    """The frames of a benchmark export (missing ones empty) and its meta."""

    tables: Mapping[str, pd.DataFrame]
    meta: Mapping[str, Any] = field(default_factory=dict)
    source: Path | None = None

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables.get(name, pd.DataFrame())

    @property
    def reference(self) -> str:
        return str((self.meta.get("benchmark") or {}).get("reference", "random"))

    @property
    def methods(self) -> list[str]:
        return list(dict.fromkeys(self["runs"].get("method", pd.Series(dtype=str))))

    @property
    def tasks(self) -> list[str]:
        return list(dict.fromkeys(self["runs"].get("task", pd.Series(dtype=str))))


def load_benchmark(path: str | Path) -> BenchmarkExport:
    """Read a benchmark export folder; `runs` is required, other tables may be missing."""
    folder = Path(path)
    if not folder.is_dir():
        raise ExportError(f"{folder} is not a folder; give the benchmark's export folder")
    tables = {}
    for name in TABLES:
        pq, csv = folder / f"{name}.parquet", folder / f"{name}.csv"
        if pq.is_file():
            tables[name] = pd.read_parquet(pq)
        elif csv.is_file():
            tables[name] = pd.read_csv(csv)
    if "runs" not in tables:
        raise ExportError(f"{folder} has no runs.parquet or runs.csv: not a benchmark export")
    meta_file = folder / "meta.json"
    meta = json.loads(meta_file.read_text(encoding="utf-8")) if meta_file.is_file() else {}
    return BenchmarkExport(tables=tables, meta=meta, source=folder)


def _ci(mid: Any, low: Any, high: Any, spec: str = ".3f", n: Any = None) -> str:
    """'mid [low, high]'; 'mid (no CI: n seeds < 3)' when the interval rests on fewer than MIN_CI seeds."""
    def one(v: Any) -> str:
        v = float("nan") if v is None else float(v)
        return "—" if math.isnan(v) else ("inf" if math.isinf(v) else format(v, spec))
    if n is not None and not pd.isna(n) and int(n) < MIN_CI:
        return f"{one(mid)} (no CI: {int(n)} seed{'s' if int(n) != 1 else ''} < {MIN_CI})"
    return f"{one(mid)} [{one(low)}, {one(high)}]"


def time_table(ttt: pd.DataFrame, axis: str) -> pd.DataFrame:
    """The time-to-target table of one axis, readable: CIs as '[low, high]' text."""
    data = ttt.loc[ttt["axis"] == axis]
    spec = ".0f" if axis == "epochs" else ".1f"
    return pd.DataFrame({
        "task": data["task"], "method": data["method"], "target": data["target"].round(4),
        "reached": [f"{s:.0%}" for s in data["success"]],
        f"median {axis} [q25, q75]": [_ci(*r, spec=spec) for r in zip(data["median"], data["q25"], data["q75"],
                                                                        strict=True)],
        f"ERT {axis} [95% CI]": [_ci(m, lo, hi, spec, n) for m, lo, hi, n in zip(
            data["ert"], data["ert_low"], data["ert_high"], data["runs"], strict=True)],
        "speed-up [95% CI]": [_ci(m, lo, hi, ".2f", n) for m, lo, hi, n in zip(
            data["speedup"], data["speedup_low"], data["speedup_high"], data["runs"], strict=True)],
        "verdict": [_verdict(lo, hi, n) for lo, hi, n in zip(data["speedup_low"], data["speedup_high"],
                                                             data["runs"], strict=True)],
        "speedup": data["speedup"],
    })


def _verdict(low: Any, high: Any, runs: Any) -> str:
    """The verdict of a speed-up over the reference: only a CI that excludes 1 says faster or slower."""
    low, high = (float("nan") if v is None else float(v) for v in (low, high))
    if pd.isna(runs) or int(runs) < MIN_CI or math.isnan(low) or math.isnan(high):
        return f"no CI (fewer than {MIN_CI} seeds): no clear winner"
    if low > 1:
        return "faster (CI above 1)"
    if high < 1:
        return "slower (CI below 1)"
    return "no clear winner (CI spans 1)"


def task_summary(ttt: pd.DataFrame, reference: str = "random") -> pd.DataFrame:
    """Per task: the fastest method to the target (largest ERT speed-up in epochs over the reference), its
    speed-up with CI and whether the CI excludes 1."""
    data = ttt.loc[(ttt["axis"] == "epochs") & (ttt["method"] != reference)]
    data = data.loc[np.isfinite(data["speedup"].to_numpy(dtype=float))]
    rows = []
    for task, g in data.groupby("task", sort=False):
        best = g.sort_values(["speedup", "ert"], ascending=[False, True], kind="stable").iloc[0]
        ref = ttt.loc[(ttt["task"] == task) & (ttt["axis"] == "epochs") & (ttt["method"] == reference), "ert"]
        rows.append({"task": task, "target": round(float(best["target"]), 4), "fastest": best["method"],
                     f"ERT {reference} (epochs)": float(ref.iloc[0]) if len(ref) else np.nan,
                     "ERT fastest (epochs)": float(best["ert"]),
                     "speed-up [95% CI]": _ci(best["speedup"], best["speedup_low"], best["speedup_high"], ".2f",
                                              best["runs"]),
                     "verdict": _verdict(best["speedup_low"], best["speedup_high"], best["runs"])})
    return pd.DataFrame(rows)


def final_table(final: pd.DataFrame) -> pd.DataFrame:
    cols = {}
    for kind, label in (("val", "validation"), ("test", "test")):
        cols[f"{label} IQM [95% CI]"] = [_ci(*r) for r in zip(final[f"{kind}_iqm"], final[f"{kind}_iqm_low"],
                                                              final[f"{kind}_iqm_high"], [".3f"] * len(final),
                                                              final[f"{kind}_n"], strict=True)]
        cols[f"{label} median [q25, q75]"] = [_ci(*r) for r in zip(final[f"{kind}_median"], final[f"{kind}_q25"],
                                                                   final[f"{kind}_q75"], strict=True)]
    return pd.DataFrame({"task": final["task"], "method": final["method"], "seeds": final["val_n"], **cols})


def rank_table(ranking: pd.DataFrame, criterion: str) -> pd.DataFrame:
    """Methods x tasks ranks under one criterion, with the mean rank; best mean rank first."""
    g = ranking.loc[ranking["criterion"] == criterion]
    if g.empty:
        return pd.DataFrame()
    wide = g.pivot_table(index="method", columns="task", values="rank", aggfunc="first", sort=False)
    wide["mean rank"] = wide.mean(axis=1)
    return wide.sort_values("mean rank").reset_index()


def _headline(exp: BenchmarkExport) -> str:
    head = exp.meta.get("headline") or {}
    bench = exp.meta.get("benchmark") or {}
    lo, hi = head.get("ci_epochs") or [None, None]
    verdict = _verdict(lo, hi, head.get("runs")) if head.get("method") else "no method reached the target"
    winner = head.get("method") if verdict.startswith("faster") else f"none: {verdict}"
    rows = [("task", head.get("task")), ("clear winner", winner),
            ("fastest point estimate", head.get("method")), ("reference", head.get("reference")),
            ("target (val acc)", head.get("target")),
            ("speed-up in epochs", _ci(head.get("speedup_epochs", np.nan), lo, hi, ".2f", head.get("runs"))),
            ("speed-up in seconds", _ci(head.get("speedup_seconds", np.nan),
                                        *(head.get("ci_seconds") or [np.nan] * 2), ".2f", head.get("runs"))),
            ("ERT (epochs) best / reference", f"{head.get('ert_epochs')} / {head.get('ert_reference_epochs')}"),
            ("seeds per method", head.get("runs")), ("budget (trials of full epochs)", bench.get("budget")),
            ("mode", exp.meta.get("mode"))]
    text = head.get("text") or "no headline (the export has no meta.json headline)"
    ttt = exp["time_to_target"]
    per_task = ("<h3>Fastest method per task (epochs to the target)</h3>"
                + H.data_table(task_summary(ttt, exp.reference), table_id="per_task") if len(ttt) else "")
    return (f"<p><strong>Verdict: {H.esc(verdict)}.</strong> {H.esc(text)}</p>"
            + H.cards([H.kv_table(rows, title="Headline")])
            + per_task)


def _task_plans(exp: BenchmarkExport, task: str, colors: Mapping[str, str]) -> list[FigurePlan]:
    bsf, ttt, final = exp["best_so_far"], exp["time_to_target"], exp["final"]
    target = ttt.loc[ttt["task"] == task, "target"]
    goal = float(target.iloc[0]) if len(target) else None
    plans = []
    for axis in ("epochs", "seconds"):
        data = bsf.loc[(bsf["task"] == task) & (bsf["axis"] == axis)] if len(bsf) else bsf
        plans.append(FigurePlan(
            f"{slug(task)}_best_{axis}", f"{task}: best so far vs {axis}",
            f"IQM over seeds as a step line, with a 95% bootstrap band (none from fewer than {MIN_CI} seeds); "
            f"dashed: the target ({exp.reference}'s median final best).",
            lambda d=data, a=axis: FB.plot_best_so_far(d, axis=a, target=goal, colors=colors)))
    if len(ttt):
        data = ttt.loc[(ttt["task"] == task) & (ttt["axis"] == "epochs")]
        plans.append(FigurePlan(
            f"{slug(task)}_speedup", f"{task}: speed-up over {exp.reference} (epochs)",
            "ERT ratio with 95% bootstrap CI over seeds; right of the dashed line = faster than the reference.",
            lambda d=data: FB.plot_speedup(d, reference=exp.reference, colors=colors)))
    if len(final):
        data = final.loc[final["task"] == task]
        plans.append(FigurePlan(
            f"{slug(task)}_final", f"{task}: final validation and test scores",
            "IQM over seeds with 95% bootstrap CI: circles the best validation score, squares the chosen "
            "configuration's test score.", lambda d=data: FB.plot_final_scores(d, colors=colors)))
    return plans


def _summary_plans(exp: BenchmarkExport, colors: Mapping[str, str]) -> list[FigurePlan]:
    plans = []
    prof = exp["profile"]
    for axis in ("epochs", "seconds"):
        if len(prof):
            data = prof.loc[prof["axis"] == axis]
            plans.append(FigurePlan(f"profile_{axis}", f"Performance profile ({axis})",
                                    "Fraction of tasks on which a method's ERT is within tau of the best method's.",
                                    lambda d=data: FB.plot_profile(d, colors=colors)))
    ranking = exp["ranking"]
    for criterion, g in (ranking.groupby("criterion", sort=False) if len(ranking) else []):
        plans.append(FigurePlan(f"ranks_{slug(criterion)}", f"Ranks by {criterion}",
                                "1 = best on the task; the last column is the mean rank.",
                                lambda d=g: FB.plot_ranks(d)))
    return plans


def _setup(exp: BenchmarkExport) -> str:
    meta, bench = exp.meta, exp.meta.get("benchmark") or {}
    machine = meta.get("machine") or {}
    run_rows = [("mode", meta.get("mode")), ("budget (trials)", bench.get("budget")),
                ("seeds", len(bench.get("seeds") or [])), ("reference", bench.get("reference")),
                ("workers", meta.get("n_jobs")), ("wall seconds", meta.get("wall_seconds")),
                ("started", meta.get("started"))]
    methods = pd.DataFrame(bench.get("methods") or [])
    tasks = pd.DataFrame([{k: t.get(k) for k in ("name", "table", "description")} for t in bench.get("tasks") or []])
    grids = [{"table": name, "trials": g.get("trials"), "built": g.get("built"), "wall seconds": g.get("wall_seconds"),
              "replicates": (g.get("defn") or {}).get("replicates"),
              "axes": "; ".join(f"{a}: {len((g.get('defn') or {}).get(a) or [])}" for a in
                                ("lr", "weight_decay", "optimizer", "init_scale")),
              "off-grid rule": g.get("off_grid_rule")} for name, g in (meta.get("grid_tables") or {}).items()]
    defs = list((meta.get("definitions") or {}).items())
    return (H.cards([H.kv_table(run_rows, title="Run"), H.kv_table(list(machine.items()), title="Machine"),
                     H.kv_table(sorted((meta.get("versions") or {}).items()), title="Versions")])
            + "<h3>Methods</h3>" + H.data_table(methods, table_id="methods")
            + "<h3>Tasks</h3>" + H.data_table(tasks, table_id="tasks")
            + ("<h3>Grid tables (replay)</h3>" + H.data_table(pd.DataFrame(grids), table_id="grids") if grids else "")
            + "<h3>Definitions</h3>"
            + H.data_table(pd.DataFrame(defs, columns=["term", "definition"]), table_id="definitions", sortable=False))


def render_benchmark(export: BenchmarkExport | str | Path, *, out_dir: str | Path | None = None) -> Path:
    """Write `<out_dir>/index.html` (+ `figures/`) for a benchmark export; `out_dir` defaults to the export
    folder's parent (`runs/<benchmark>/`). Returns the page's path."""
    exp = export if isinstance(export, BenchmarkExport) else load_benchmark(export)
    out = Path(out_dir) if out_dir is not None else (exp.source.parent if exp.source else Path("runs/benchmark"))
    colors = FB.method_colors(exp.methods, exp.reference)
    own_dir(out / "figures")  # the page's own folder: a link there is replaced before the per-task folders
    task_blocks = {task: draw_figures(_task_plans(exp, task, colors), out / "figures" / slug(task))
                   for task in exp.tasks}
    summary_blocks = draw_figures(_summary_plans(exp, colors), out / "figures" / "summary")
    ttt = exp["time_to_target"]
    sections = [("headline", "Which method, by how much, how sure", _headline(exp))]
    for task, blocks in task_blocks.items():
        sections.append((f"task-{slug(task)}", f"Task {task}", H.figures_html(blocks)))
    if len(ttt):
        for axis in ("epochs", "seconds"):
            sections.append((f"ttt-{axis}", f"Time to target ({axis})",
                             "<p>Budget until the first COMPLETE trial reaches the task's target; ERT counts "
                             "runs that never reach it at their whole budget.</p>"
                             + H.data_table(time_table(ttt, axis), table_id=f"ttt_{axis}", bar="speedup")))
    if len(exp["final"]):
        sections.append(("final", "Final scores", H.data_table(final_table(exp["final"]), table_id="final")))
    ranking = exp["ranking"]
    criteria = list(dict.fromkeys(ranking["criterion"])) if len(ranking) else []
    ranks = "".join(f"<h3>Ranks by {H.esc(c)} (1 = best)</h3>"
                    + H.data_table(rank_table(ranking, c), table_id=f"ranks_{slug(c)}") for c in criteria)
    sections.append(("ranking", "Ranking and performance profile", ranks + H.figures_html(summary_blocks)))
    runs = exp["runs"]
    sections.append(("runs", "Runs", f"<details><summary>{len(runs)} runs</summary>"
                     + H.data_table(runs, table_id="runs") + "</details>"))
    sections.append(("setup", "Setup", _setup(exp)))
    name = (exp.meta.get("benchmark") or {}).get("name", "benchmark")
    subtitle = f"{len(exp.methods)} methods x {len(exp.tasks)} tasks, {exp.meta.get('mode', '?')} mode"
    text = H.page(f"Benchmark {name}", sections, subtitle=subtitle,
                  footer="Rendered by reports from a benchmark export.")
    return H.write_page(out, text)
