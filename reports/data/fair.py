"""The fair optimizer comparison page: tuning studies (one per optimizer and tuning seed, the same budget)
and the test study (every optimizer's defaults and tuned configurations on the same seeds).

Data layer (pure pandas): `sensitivity_frame`, `divergence_table`, `test_frame`, `default_vs_tuned`. The
configurations (label -> optimizer, kind, tuning seed, params) are read from the test export's meta
(``spec.settings.configs``), as hpsearch's ``mlp-test`` objective stores them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from reports import figures_compare as FX
from reports import figures_fair as FF
from reports import html as H
from reports.book_data import params_frame
from reports.book_pages import OPTIMIZER_ORDER, Semantics, ci_one, setup_section, write_page
from reports.compare import comparison_data
from reports.load import StudyExport
from reports.render import FigurePlan, as_export
from reports.summaries import best_index, bootstrap_ci


def sensitivity_frame(tuning: Sequence[StudyExport]) -> pd.DataFrame:
    """Every COMPLETE tuning trial: optimizer, tuning_seed, study, number, lr, value, diverged."""
    parts = []
    for exp in tuning:
        p = params_frame(exp.trials).merge(exp.trials[["number", "value"]], on="number")
        parts.append(p.assign(study=exp.study, tuning_seed=exp.meta.get("seed")))
    if not parts:
        return pd.DataFrame(columns=["optimizer", "tuning_seed", "study", "number", "lr", "value", "diverged"])
    return pd.concat(parts, ignore_index=True)


def divergence_table(sens: pd.DataFrame, direction: str = "maximize") -> pd.DataFrame:
    """Per optimizer: trials, diverged trials, the smallest diverged lr ('diverges from lr'), the largest lr
    that did not diverge, and the best trial's lr and score (non-diverged trials; best in `direction`)."""
    rows = []
    for name, sub in sens.groupby("optimizer", sort=False):
        div = sub["diverged"].to_numpy(dtype=bool)
        ok = sub.loc[~div] if (~div).any() else sub
        best = ok.loc[best_index(ok["value"], direction)]
        rows.append({"optimizer": name, "trials": len(sub), "diverged": int(div.sum()),
                     "diverges from lr": float(sub.loc[div, "lr"].min()) if div.any() else float("nan"),
                     "largest stable lr": float(sub.loc[~div, "lr"].max()) if (~div).any() else float("nan"),
                     "best lr": float(best["lr"]), "best val acc": float(best["value"])})
    return pd.DataFrame(rows)


def test_frame(test: StudyExport) -> pd.DataFrame:
    """Every COMPLETE test run: config, seed, optimizer, kind, tuning_seed, lr, value (test accuracy)."""
    configs = ((test.meta.get("spec") or {}).get("settings") or {}).get("configs") or []
    table = pd.DataFrame([{"config": c["label"], "optimizer": c["optimizer"], "kind": c["kind"],
                           "tuning_seed": c.get("tuning_seed"), "lr": (c.get("params") or {}).get("lr")}
                          for c in configs], columns=["config", "optimizer", "kind", "tuning_seed", "lr"])
    runs = params_frame(test.trials).merge(test.trials[["number", "value"]], on="number")
    return runs.merge(table, on="config", how="left")


def default_vs_tuned(runs: pd.DataFrame, *, rng: np.random.Generator, n_boot: int = 1000) -> pd.DataFrame:
    """Per optimizer and kind: mean test accuracy with a bootstrap CI over its runs (seeds x tuning seeds)."""
    rows = []
    for (name, kind), sub in runs.groupby(["optimizer", "kind"], sort=False):
        values = sub["value"].to_numpy(dtype=float)
        low, high = bootstrap_ci(values, rng=rng, n_boot=n_boot)
        lrs = ", ".join(f"{v:.3g}" for v in sorted(sub["lr"].dropna().unique()))
        rows.append({"optimizer": name, "kind": kind, "runs": len(values), "mean": float(np.mean(values)),
                     "low": low, "high": high, "lr": lrs})
    return pd.DataFrame(rows, columns=["optimizer", "kind", "runs", "mean", "low", "high", "lr"])


def _side_by_side(summary: pd.DataFrame, order: Sequence[str]) -> pd.DataFrame:
    rows = []
    for name in order:
        row: dict[str, object] = {"optimizer": name}
        for kind in ("default", "tuned"):
            hit = summary.loc[(summary["optimizer"] == name) & (summary["kind"] == kind)]
            if len(hit):
                h = hit.iloc[0]
                row[f"{kind}: test acc [95% CI]"] = ci_one(h["mean"], h["low"], h["high"])
                row[f"{kind} lr"] = h["lr"]
                row[f"{kind} runs"] = h["runs"]
        rows.append(row)
    return pd.DataFrame(rows)


def render_fair(tuning: Sequence[StudyExport | str | Path], test: StudyExport | str | Path, *, out_dir: str | Path,
                semantics: Semantics, rng: np.random.Generator | None = None, n_boot: int = 1000) -> Path:
    """The page: defaults vs tuned (table and figure), best-so-far vs budget per optimizer (bands across tuning
    seeds), and the learning-rate sensitivity with where each optimizer starts to diverge."""
    rng = rng if rng is not None else np.random.default_rng(0)
    tuned = [as_export(e) for e in tuning]
    tst = as_export(test)
    sens = sensitivity_frame(tuned)
    order = [o for o in OPTIMIZER_ORDER if o in set(sens["optimizer"])] + sorted(
        set(sens["optimizer"]) - set(OPTIMIZER_ORDER))
    direction = tuned[0].direction if tuned else "maximize"
    onset = (divergence_table(sens, direction) if len(sens)
             else pd.DataFrame(columns=["optimizer", "diverges from lr"]))
    summary = default_vs_tuned(test_frame(tst), rng=rng, n_boot=n_boot)
    group = {e.study: str(params_frame(e.trials)["optimizer"].iloc[0]) if len(e.trials) else e.study for e in tuned}
    history = comparison_data(tuned, group=group).history
    plans = [
        FigurePlan("default_vs_tuned", "Test accuracy: defaults vs tuned",
                   "Means over the runs with 95% percentile-bootstrap CIs (no bar from fewer than 3 runs); "
                   "held-out test split, never used for tuning.",
                   lambda: FF.plot_default_vs_tuned(summary, order=order)),
        FigurePlan("budget", "Best validation accuracy vs tuning budget",
                   "Best so far against COMPLETE trials (steps), mean over tuning seeds with a 95% bootstrap band "
                   "(none from fewer than 3 seeds).",
                   lambda: FX.plot_best_so_far_bands(history, rng=rng, n_boot=n_boot)),
        FigurePlan("sensitivity", "Validation accuracy vs learning rate",
                   "Every tuning trial; red crosses diverged, dashed red line: the smallest diverged lr, star: the "
                   "best trial.", lambda: FF.plot_sensitivity(sens, order=order, onset=onset, direction=direction),
                   wide=True),
    ]
    sections = [
        ("setup", "What ran", setup_section([*tuned, tst], semantics)),
        ("test", "Defaults vs tuned on the test split",
         "<p>Each optimizer's default hyperparameters and its tuned configuration(s) (the best validation trial of "
         "each tuning seed) trained on the same seeds and scored once on the test split; mean with a 95% "
         f"percentile-bootstrap CI ({n_boot} resamples).</p>"
         + H.data_table(_side_by_side(summary, order), table_id="test")),
        ("divergence", "Learning-rate sensitivity",
         H.data_table(onset.set_index("optimizer").reindex(order).reset_index() if len(onset) else onset,
                      table_id="divergence")),
    ]
    return write_page(out_dir, "A fair optimizer comparison", f"{len(order)} optimizers, the same tuning budget each",
                      sections, plans)
