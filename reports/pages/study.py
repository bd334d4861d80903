"""`render(export) -> runs/<study>/index.html`: one study's report page (summary, top-k table, figures).

The pipeline: load (`reports.load`) -> one study's data (`reports.data.study`, pure pandas) -> figure
functions (`reports.figures.study` and `.curves`, Axes) -> PNG bytes, written to `figures/` and embedded in
the page (`reports.pages.common.draw_figures`) -> the single HTML writer (`reports.pages.html`). Missing data
never raises: the page lists what is missing (`missing_notes`) and leaves out what cannot be drawn.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from reports.data import study as S
from reports.figures import curves as FC
from reports.figures import study as F
from reports.load import StudyExport
from reports.pages import html as H
from reports.pages.common import FigurePlan, as_export, default_out_dir, draw_figures, slug

LR_NAMES = ("lr", "learning_rate")
WD_NAMES = ("weight_decay", "wd")
META_KEYS = ("study", "spec", "space", "seed", "sampler", "pruner", "direction", "versions", "machine",
             "blas", "wall_seconds", "n_workers", "importance", "parent", "created")


def _first(names: Sequence[str], candidates: Sequence[str]) -> str | None:
    return next((c for c in candidates if c in names), None)


def missing_notes(export: StudyExport) -> list[str]:
    """Plain-text notes on what the export lacks and what the page therefore leaves out."""
    trials, meta, notes = export.trials, export.meta, []
    if trials.empty:
        notes.append("the export has no trials")
    elif S.scored(trials).empty:
        notes.append("no COMPLETE trial has a score: no best trial, top-k table or score figures")
    if export.curves.empty:
        notes.append("no curves exported: learning curves and intermediate values are not shown")
    for label, names in (("learning rate", LR_NAMES), ("weight decay", WD_NAMES)):
        if _first(export.params, names) is None:
            notes.append(f"no {label} parameter ({' or '.join(names)}): "
                         "the learning-rate x weight-decay scatter is not shown")
    if not meta:
        notes.append("no meta.json: machine, versions, seeds and search settings are unknown")
    else:
        absent = [k for k in META_KEYS if k not in meta]
        if absent:
            notes.append("meta.json lacks " + ", ".join(absent))
        if not meta.get("importance"):
            notes.append("no parameter importance exported (meta['importance'] is empty)")
    return notes


def _study_plans(export: StudyExport, top: Any) -> list[FigurePlan]:
    trials, curves, params = export.trials, export.curves, export.params
    is_log, is_cat = export.is_log, export.is_categorical
    plans = [FigurePlan(
        "history", "Optimization history",
        "Score of each trial with the best so far; pruned trials grey, diverged trials red crosses.",
        lambda: F.plot_history(trials, direction=export.direction), wide=True)]
    if not S.scored(trials).empty:
        for name in params:
            plans.append(FigurePlan(
                f"param_{slug(name)}", f"Score vs {name}",
                f"COMPLETE trials; {'log' if is_log(name) else 'linear'} x; diverged as red crosses.",
                lambda n=name: F.plot_param(trials, n, log=is_log(n), categorical=is_cat(n))))
        lr, wd = _first(params, LR_NAMES), _first(params, WD_NAMES)
        if lr and wd:
            plans.append(FigurePlan(
                "lr_wd", f"{lr} x {wd}", "COMPLETE trials coloured by score; diverged as red crosses.",
                lambda: F.plot_lr_wd(trials, x=lr, y=wd, log_x=is_log(lr), log_y=is_log(wd))))
        if params:
            logs, cats = [n for n in params if is_log(n)], [n for n in params if is_cat(n)]
            plans.append(FigurePlan(
                "parallel", "Parallel coordinates",
                "Each COMPLETE trial is a line coloured by score (log10 axes for log parameters); "
                "diverged trials red dashed.",
                lambda: F.plot_parallel(trials, params, log=logs, categorical=cats, direction=export.direction),
                wide=True))
    metrics = S.curve_metrics(curves) if not curves.empty else []
    if metrics and len(top):
        plans.append(FigurePlan(
            "learning_curves", f"Learning curves of the top {len(top)}",
            f"{' and '.join(metrics)} per epoch (the curves the trials recorded), best trial first; diverged "
            "trials red dashed.",
            lambda: FC.plot_top_curves(curves, top, metrics), wide=True))
    if metrics:
        plans.append(FigurePlan(
            "intermediate", "Intermediate values",
            f"{metrics[0]} of every trial per epoch; pruned trials orange with a triangle where they "
            "stopped, diverged trials red with a cross.",
            lambda: FC.plot_intermediate(curves, trials, metric=metrics[0])))
    if export.meta.get("importance"):
        n_used = int((trials["state"] == S.COMPLETE).sum())
        plans.append(FigurePlan(
            "importance", f"Parameter importance ({n_used} of {len(trials)} trials)", importance_caption(trials),
            lambda: F.plot_importance(export.meta["importance"], n_trials=n_used)))
    if not trials.empty:
        plans.append(FigurePlan(
            "durations", "Trial durations", "Wall seconds per trial, by state; diverged as red crosses.",
            lambda: F.plot_durations(trials)))
    return plans


def importance_caption(trials: Any) -> str:
    """Which trials the exported importance rests on (Optuna's default evaluator reads the COMPLETE trials
    only), which it leaves out, and how far to trust it."""
    counts = S.state_counts(trials)
    n_used = int(counts[S.COMPLETE])
    left = [f"{int(counts[s])} {s}" for s in counts.index if s not in (S.COMPLETE, "DIVERGED", "TOTAL") and counts[s]]
    text = (f"Optuna's default importance evaluator, computed by hpsearch at export on the n = {n_used} COMPLETE "
            f"trials of {int(counts['TOTAL'])}")
    if left:
        text += (f"; left out: {', '.join(left)} (a pruned trial stopped early, so its score is not comparable). "
                 "The score-vs-parameter plots use the same COMPLETE trials; the optimization history also shows "
                 "the pruned ones")
    text += ". A rough guide, not a measurement: it has no confidence interval"
    return text + (f", and {n_used} trials are few." if n_used < 30 else ".")


def _summary(export: StudyExport) -> str:
    trials, meta = export.trials, export.meta
    best = S.best_trial(trials, export.direction)
    if best is None:
        best_rows: list[tuple[object, object]] = [("best trial", "none (no COMPLETE trial with a score)")]
    else:
        best_rows = [("best trial", f"#{best['number']}"), ("score", best["value"]),
                     (S.best_curve_label(meta.get("metric")), best["best_val_acc"]),
                     ("diverged", bool(best["diverged"])),
                     ("evaluations run", best["epochs_run"]), ("seconds", best["seconds"]), ("seed", best["seed"])]
        best_rows += [(f"param {k}", v) for k, v in S.trial_params(best).items()]
    counts = S.state_counts(trials)
    times = S.time_summary(trials, meta)
    seeds = [(k.replace("_", " "), v) for k, v in S.seed_summary(trials, meta).items()]
    if isinstance(meta.get("seeds"), Mapping):  # hpsearch's seed rules
        seeds += [(f"seeds: {k}", v) for k, v in meta["seeds"].items()]
    machine = meta.get("machine")
    search = [(k, meta.get(k)) for k in ("direction", "sampler", "pruner", "parent", "created")]
    parts = [
        H.kv_table(best_rows, title="Best trial"),
        H.kv_table([("slots", S.slots_text(S.slots_ran(trials, meta))), *((k.lower(), v) for k, v in counts.items())],
                   title="Trials by state"),
        H.kv_table([(k.replace("_", " "), v) for k, v in times.items()], title="Time and workers"),
        H.kv_table(seeds, title="Seeds"),
        H.kv_table(_rows(machine, "machine"), title="Machine"),
        H.kv_table(_blas_rows(meta.get("blas")), title="BLAS"),
        H.kv_table(sorted(_rows(meta.get("versions"), "versions"), key=str), title="Package versions"),
        H.kv_table(search, title="Search"),
    ]
    spec = json.dumps(meta.get("spec"), indent=2, default=str, sort_keys=True)
    return (H.notes(missing_notes(export)) + H.cards(parts)
            + f"<details><summary>Study spec</summary><pre>{H.esc(spec)}</pre></details>")


def _rows(value: object, name: str) -> list[tuple[object, object]]:
    """Key/value rows of a meta entry: a mapping's items, else the value itself under `name`."""
    if isinstance(value, Mapping):
        return list(value.items())
    return [(name, "unknown" if value is None else value)]


def _blas_rows(blas: object) -> list[tuple[object, object]]:
    """Rows for meta["blas"]: threadpoolctl's list of libraries, one library, or a mapping that holds such
    a list (e.g. {"threads_per_worker": 1, "libraries": [...]})."""
    rows: list[tuple[object, object]] = []
    if isinstance(blas, Mapping) and not {"internal_api", "user_api"} & set(blas):
        rows += [(str(k).replace("_", " "), v) for k, v in blas.items() if not isinstance(v, list)]
        blas = [lib for v in blas.values() if isinstance(v, list) for lib in v]
    elif isinstance(blas, Mapping):
        blas = [blas]
    for lib in blas if isinstance(blas, list) else [blas] if blas else []:
        if isinstance(lib, Mapping):
            name = lib.get("internal_api") or lib.get("user_api") or "library"
            layer = f", {lib['threading_layer']}" if lib.get("threading_layer") else ""
            rows.append((name, f"{lib.get('version')}, {lib.get('num_threads')} thread(s){layer}"))
        else:
            rows.append(("library", lib))
    return rows or [("BLAS", "unknown")]


def render(export: StudyExport | str | Path, *, out_dir: str | Path | None = None, top_k: int = 20) -> Path:
    """Render one study's report: `<out_dir>/index.html` plus `<out_dir>/figures/*.png`; returns the path
    of index.html. `export` is a StudyExport or an export folder; `out_dir` defaults to runs/<study>/."""
    exp = as_export(export)
    out = Path(out_dir) if out_dir is not None else default_out_dir(exp)
    top = S.top_k(exp.trials, top_k, exp.direction)
    blocks = draw_figures(_study_plans(exp, top), out / "figures")
    top_html = (H.data_table(top, table_id="topk", highlight="diverged", bar="value") if len(top)
                else "<p>No COMPLETE trial with a score.</p>")
    sections = [
        ("summary", "Summary", _summary(exp)),
        ("top", f"Top {len(top)} trials", top_html),
        ("figures", "Figures", H.figures_html(blocks)),
    ]
    n = len(exp.trials)
    ran = f" ({S.slots_text(S.slots_ran(exp.trials, exp.meta))})" if exp.meta.get("n_trials") is not None else ""
    subtitle = f"{n} trials{ran}, direction {exp.direction}, parent {exp.meta.get('parent') or '—'}"
    text = H.page(f"Study {exp.study}", sections, subtitle=subtitle,
                  footer=f"Rendered by reports from the export of study {exp.study}.", kind="study")
    return H.write_page(out, text)
