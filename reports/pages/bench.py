"""`render_benchmark(export_dir) -> index.html`: the page of a search-method benchmark.

Reads only the benchmark's export folder (written by hpsearch's benchmark export, read by
`reports.load.load_benchmark`): `trials`, `runs`, `best_so_far`, `final`, `time_to_target`, `ranking`,
`profile` (`.parquet`, else `.csv`) and `meta.json`; its tables come from `reports.data.bench`.
The page answers "which method, by how much, how sure": the headline speed-up with its confidence interval,
best-so-far curves with bands, the time-to-target table, final validation and test scores, ranks and the
performance profile, then the setup (methods, tasks, budget, seeds, grids, machine, metric definitions).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from reports.data.bench import (
    ci_cell,
    degenerate_note,
    final_table,
    rank_table,
    speedup_verdict,
    task_summary,
    time_table,
)
from reports.data.stats import MIN_CI
from reports.figures import bench as FB
from reports.load import BenchmarkExport, load_benchmark
from reports.pages import html as H
from reports.pages.common import FigurePlan, draw_figures, slug
from safefiles import own_dir


def _headline(exp: BenchmarkExport) -> str:
    head = exp.meta.get("headline") or {}
    bench = exp.meta.get("benchmark") or {}
    axis = head.get("axis") or "epochs"
    lo, hi = head.get(f"ci_{axis}") or [None, None]
    verdict = speedup_verdict(lo, hi, head.get("runs")) if head.get("method") else "no method reached the target"
    winner = head.get("method") if verdict.startswith("faster") else f"none: {verdict}"
    rows = [("task", head.get("task")), ("clear winner", winner),
            ("method" if head.get("chosen") else "fastest point estimate", head.get("method")),
            ("reference", head.get("reference")), ("verdict on", axis),
            ("target (val acc)", head.get("target")),
            ("speed-up in epochs", ci_cell(head.get("speedup_epochs", np.nan), lo, hi, ".2f", head.get("runs"))),
            ("speed-up in seconds", ci_cell(head.get("speedup_seconds", np.nan),
                                            *(head.get("ci_seconds") or [np.nan] * 2), ".2f", head.get("runs"))),
            ("ERT (epochs) method / reference", f"{head.get('ert_epochs')} / {head.get('ert_reference_epochs')}"),
            ("ERT (seconds) method / reference", f"{head.get('ert_seconds')} / {head.get('ert_reference_seconds')}"),
            ("seeds per method", head.get("runs")), ("budget (trials of full epochs)", bench.get("budget")),
            ("mode", exp.meta.get("mode"))]
    text = head.get("text") or "no headline (the export has no meta.json headline)"
    ttt = exp["time_to_target"]
    per_task = ("<h3>Fastest method per task (epochs to the target)</h3>"
                + H.data_table(task_summary(ttt, exp.reference), table_id="per_task") if len(ttt) else "")
    return (f"<p><strong>Verdict: {H.esc(verdict)}.</strong> {H.esc(text)}</p>"
            + H.cards([H.kv_table(rows, title="Headline", wide=True)])
            + per_task)


def _target_words(exp: BenchmarkExport, task: str) -> str:
    """What the task's target is: its own fixed score, or the reference's median final best."""
    for t in (exp.meta.get("benchmark") or {}).get("tasks") or []:
        if isinstance(t, Mapping) and t.get("name") == task and t.get("target") is not None:
            return f"the task's own target, {float(t['target']):.3f} validation accuracy"
    return f"{exp.reference}'s median final best"


def _task_plans(exp: BenchmarkExport, task: str, colors: Mapping[str, str]) -> list[FigurePlan]:
    bsf, ttt, final = exp["best_so_far"], exp["time_to_target"], exp["final"]
    target = ttt.loc[ttt["task"] == task, "target"]
    goal = float(target.iloc[0]) if len(target) else None
    words = _target_words(exp, task)
    plans = []
    for axis in ("epochs", "seconds"):
        data = bsf.loc[(bsf["task"] == task) & (bsf["axis"] == axis)] if len(bsf) else bsf
        what = ("seconds: the trials' training seconds summed in completion order (replay: the table's stored "
                "seconds, a simulated clock), observed up to the least any run spent; " if axis == "seconds" else "")
        drawn = set(data.dropna(subset=["iqm"])["method"]) if len(data) else set()
        absent = [m for m in dict.fromkeys(data["method"]) if m not in drawn] if len(data) else []
        gap = (f" Not drawn: {', '.join(absent)} (some seed finished no trial within the {axis} shown)."
               if absent else "")
        plans.append(FigurePlan(
            f"{slug(task)}_best_{axis}", f"{task}: best so far vs {axis}",
            f"{what}IQM over seeds as a step line, with a 95% bootstrap band (none from fewer than {MIN_CI} seeds); "
            "a method's line starts once every seed has a COMPLETE trial (an IQM over the early seeds alone would "
            f"flatter it); dashed: the target ({words}).{gap}",
            lambda d=data, a=axis: FB.plot_best_so_far(d, axis=a, target=goal, colors=colors)))
    if len(ttt):
        data = ttt.loc[(ttt["task"] == task) & (ttt["axis"] == "epochs")]
        never = [m for m, s in zip(data["method"], data["success"], strict=True) if s == 0 and m != exp.reference]
        missing = (f" Not drawn: {', '.join(never)} (no seed reached the target, so no speed-up is defined)."
                   if never else "")
        plans.append(FigurePlan(
            f"{slug(task)}_speedup", f"{task}: speed-up over {exp.reference} (epochs)",
            f"ERT ratio with 95% bootstrap CI over seeds; the dashed line at 1 is {exp.reference} itself; right of "
            f"it = faster than the reference.{missing}",
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
                                    "Fraction of tasks on which a method's ERT is within tau of the best method's; "
                                    "methods with the same profile are drawn over each other.",
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
              "axes": _axes_text(g.get("defn") or {}), "best cell (val)": g.get("best_value"),
              "off-grid rule": g.get("off_grid_rule")} for name, g in (meta.get("grid_tables") or {}).items()]
    defs = list((meta.get("definitions") or {}).items())
    return (H.cards([H.kv_table(run_rows, title="Run"), H.kv_table(list(machine.items()), title="Machine"),
                     H.kv_table(sorted((meta.get("versions") or {}).items()), title="Versions")])
            + "<h3>Methods</h3>" + H.data_table(methods, table_id="methods")
            + "<h3>Tasks</h3>" + H.data_table(tasks, table_id="tasks")
            + ("<h3>Grid tables (replay)</h3>" + H.data_table(pd.DataFrame(grids), table_id="grids") if grids else "")
            + "<h3>Definitions</h3>"
            + H.data_table(pd.DataFrame(defs, columns=["term", "definition"]), table_id="definitions", sortable=False))


def _axes_text(defn: Mapping) -> str:
    """A grid's axes as 'name: n values' (a definition of format 1 holds the four book axes as keys)."""
    if "axes" in defn:
        return "; ".join(f"{a.get('name')}: {len(a.get('values') or [])}" for a in defn["axes"])
    return "; ".join(f"{a}: {len(defn.get(a) or [])}" for a in ("lr", "weight_decay", "optimizer", "init_scale"))


def _with_note(table: pd.DataFrame, table_id: str, **kw) -> str:
    """A table, with the note on zero-width intervals under it when it holds any."""
    note = degenerate_note(table)
    return H.data_table(table, table_id=table_id, **kw) + (f"<p><em>{H.esc(note)}</em></p>" if note else "")


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
                             + _with_note(time_table(ttt, axis, exp.reference), f"ttt_{axis}", bar="speedup")))
    if len(exp["final"]):
        sections.append(("final", "Final scores", _with_note(final_table(exp["final"]), "final")))
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
