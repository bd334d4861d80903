"""`render_fullsize(export, anchors=...)`: the page of a full-size search: the final pick's test accuracy
beside published anchors, the search's cost, and best-so-far against wall time and epochs spent
(`reports.data.budget`, `reports.figures.budget`).

Reads an export (``meta["final"]`` holds the pick scored on test by :func:`hpsearch.final.final_pick`). The
test score is one training run of one configuration with one seed: the page shows no interval for it and
says so; the anchors are other people's single numbers, compared as such.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from reports.data import study as S
from reports.data.budget import budget_history
from reports.figures.budget import plot_best_vs_epochs, plot_best_vs_time
from reports.figures.study import plot_history
from reports.load import StudyExport
from reports.pages import html as H
from reports.pages.common import FigurePlan, as_export, default_out_dir, draw_figures

__all__ = ["render_fullsize"]


def _headline(final: Mapping | None, direction: str) -> str:
    if not final:
        return "<p>No final pick yet: the search has not been scored on the test split.</p>"
    retrain = ("retrained on training + validation" if final.get("retrain") == "train+val"
               else "retrained on the training split (the net the trial trained)")
    return (
        f'<p style="font-size:20px;margin:6px 0"><b>Test accuracy {final["test_acc"]:.4f}</b></p>'
        f"<p>Final pick: trial {H.esc(final['trial'])} (best validation score {final['value']:.4f}, "
        f"{H.esc(direction)}), {H.esc(retrain)} on {final['n_train']:,} images for "
        f"{final.get('train_seconds', float('nan')):.0f} s, then scored once on {final['n_test']:,} test images. "
        "One configuration, one seed: no interval is shown for this single number.</p>"
    )


def _anchors(final: Mapping | None, anchors: Mapping[str, float]) -> str:
    if not anchors:  # published numbers of another data set would compare nothing
        return "<p>No published results on this data set are set beside this search.</p>"
    rows = []
    ours = final["test_acc"] if final else None
    for name, acc in sorted(anchors.items(), key=lambda kv: kv[1]):
        diff = "" if ours is None else f"{ours - acc:+.4f}"
        rows.append({"result": name, "test accuracy": acc, "this search minus it": diff})
    if ours is not None:
        rows.append({"result": "this search (final pick)", "test accuracy": ours, "this search minus it": ""})
    frame = pd.DataFrame(rows).sort_values("test accuracy", kind="stable")
    return H.data_table(frame, table_id="anchors", sortable=False)


def _cost(exp: StudyExport, history: pd.DataFrame) -> str:
    meta, trials = exp.meta, exp.trials
    runs = meta.get("runs") or []
    budgets = [r.get("time_budget") for r in runs if r.get("time_budget") is not None]
    counts = trials["state"].value_counts()
    final = meta.get("final") or {}
    rows = [
        ("search wall time", f"{meta.get('wall_seconds', 0.0):.0f} s over {len(runs)} launch(es)"),
        ("time budget", ", ".join(f"{b:g} s" for b in budgets) or "none"),
        ("stopped by the budget", "yes" if any(r.get("out_of_time") for r in runs) else "no"),
        ("workers", meta.get("n_workers")),
        ("epochs spent (all trials)", f"{history['epochs_spent'].iloc[-1]:.1f}" if len(history) else "0"),
        ("trials complete / pruned / failed or stopped",
         f"{counts.get('COMPLETE', 0)} ({int(trials['diverged'].sum())} diverged) / {counts.get('PRUNED', 0)} / "
         f"{counts.get('FAIL', 0)}"),
        ("final retraining", f"{final['train_seconds']:.0f} s" if final else "not run"),
    ]
    return H.kv_table(rows)


def render_fullsize(
    export: StudyExport | str | Path, *, anchors: Mapping[str, float], out_dir: str | Path | None = None,
    n_train: int | None = None,
) -> Path:
    """Write ``<out_dir>/index.html`` (+ figures/); ``n_train``: the search's training images (default: from
    ``meta["final"]``), which turns samples into epochs."""
    exp = as_export(export)
    out = Path(out_dir) if out_dir is not None else default_out_dir(exp)
    final = exp.meta.get("final")
    n = n_train or (final or {}).get("n_search_train") or 0
    history = budget_history(exp.trials, n_train=int(n), direction=exp.direction)
    plans = [
        FigurePlan("best_vs_time", "Best so far against wall time", "Validation accuracy of each trial when it "
                   "ended; the step line is the best COMPLETE, non-diverged trial so far.",
                   lambda: plot_best_vs_time(history)),
        FigurePlan("best_vs_epochs", "Best so far against epochs spent", f"Epochs: images seen by all trials "
                   f"together / {n:,} training images (pruned trials count what they trained).",
                   lambda: plot_best_vs_epochs(history)),
        FigurePlan("history", "Optimization history", "Score of each trial by number.",
                   lambda: plot_history(exp.trials, direction=exp.direction), wide=True),
    ]
    blocks = draw_figures(plans, out / "figures")
    top = S.top_k(exp.trials, 10, exp.direction)
    sections = [
        ("headline", "Result", _headline(final, exp.direction) + _anchors(final, anchors)),
        ("cost", "What the search cost", _cost(exp, history)),
        ("figures", "Figures", H.figures_html(blocks)),
        ("top", f"Top {len(top)} trials (validation)", H.data_table(top, table_id="topk", highlight="diverged")
         if len(top) else "<p>No COMPLETE trial with a score.</p>"),
    ]
    text = H.page(f"Full-size search {exp.study}", sections,
                  subtitle=f"{int((exp.trials['state'] != 'WAITING').sum())} trials run of {len(exp.trials)} slots, "
                           f"direction {exp.direction}",
                  footer=f"Rendered by reports from the export of study {exp.study}.")
    return H.write_page(out, text)
