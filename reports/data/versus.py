"""A user's own studies side by side (`hpsearch compare`): TPE vs random on their problem, before vs after a
change, one study per optimizer.

`study_scores` (the same metric per study: the best score, and the mean and median score of the COMPLETE
trials with bootstrap CIs, none from fewer than 3 trials), `verdict` (a winner only when its interval
excludes every other study's) and `settings_diff` (the settings that differ between the studies) are pure
pandas; `render_study_comparison` writes the page with the best-so-far step lines on one axis.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from reports import figures_compare as FX
from reports import html as H
from reports import summaries as S
from reports.book_pages import ci_one
from reports.compare import comparison_data
from reports.load import StudyExport
from reports.render import FigurePlan, as_export, draw_figures

__all__ = ["check_comparable", "render_study_comparison", "settings_diff", "study_scores", "verdict"]

SETTINGS = ("objective", "sampler", "pruner", "seed", "n_trials", "dataset", "settings", "space")


def _objective(exp: StudyExport) -> object:
    return (exp.meta.get("spec") or {}).get("objective")


def check_comparable(exports: Sequence[StudyExport]) -> None:
    """ValueError (one line saying what differs) unless there are two or more studies of one direction and
    one objective (the same metric)."""
    if len(exports) < 2:
        raise ValueError(f"compare needs two or more studies; got {len(exports)}")
    directions = {e.study: e.direction for e in exports}
    if len(set(directions.values())) > 1:
        raise ValueError("the studies do not share a direction (" + ", ".join(f"{k}: {v}" for k, v in
                         directions.items()) + "); compare studies that optimise the same way")
    objectives = {e.study: _objective(e) for e in exports}
    if len({str(v) for v in objectives.values()}) > 1:
        raise ValueError("the studies measure different metrics (objectives " + ", ".join(
            f"{k}: {v}" for k, v in objectives.items()) + "); compare studies of one objective")


def study_scores(exports: Sequence[StudyExport], *, rng: np.random.Generator, n_boot: int = 1000) -> pd.DataFrame:
    """Per study: trials, COMPLETE, pruned, diverged, the best score (in the study's direction; one search,
    so no interval), and the mean and median score of the COMPLETE trials with 95% percentile-bootstrap CIs
    (NaN from fewer than MIN_CI trials)."""
    rows = []
    for exp in exports:
        ok = S.scored(exp.trials)["value"].to_numpy(dtype=float)
        best = S.best_trial(exp.trials, exp.direction)
        counts = S.state_counts(exp.trials)
        lo, hi = S.bootstrap_ci(ok, rng=rng, n_boot=n_boot)
        mlo, mhi = S.bootstrap_ci(ok, rng=rng, n_boot=n_boot, stat=np.median)
        rows.append({"study": exp.study, "trials": int(counts["TOTAL"]), "complete": len(ok),
                     "pruned": int(counts[S.PRUNED]), "diverged": int(counts["DIVERGED"]),
                     "best": np.nan if best is None else float(best["value"]),
                     "best trial": None if best is None else int(best["number"]),
                     "mean": float(ok.mean()) if ok.size else np.nan, "mean_low": lo, "mean_high": hi,
                     "median": float(np.median(ok)) if ok.size else np.nan, "median_low": mlo, "median_high": mhi})
    return pd.DataFrame(rows)


def verdict(scores: pd.DataFrame, direction: str) -> tuple[str | None, str]:
    """(winner or None, one sentence) on the mean score of the COMPLETE trials: a winner only when its
    95% CI lies entirely on the better side of every other study's CI."""
    few = scores.loc[scores["mean_low"].isna(), "study"].tolist()
    if few:
        return None, (f"No clear winner: {', '.join(map(str, few))} ha{'s' if len(few) == 1 else 've'} fewer than "
                      f"{S.MIN_CI} COMPLETE trials, so no confidence interval.")
    maximize = not direction.lower().startswith("min")
    order = scores.sort_values("mean", ascending=not maximize)
    top, rest = order.iloc[0], order.iloc[1:]
    clear = (top["mean_low"] > rest["mean_high"]).all() if maximize else (top["mean_high"] < rest["mean_low"]).all()
    word = "higher" if maximize else "lower"
    if clear:
        return str(top["study"]), (f"{top['study']} wins: its mean score ({top['mean']:.4g}, 95% CI "
                                   f"[{top['mean_low']:.4g}, {top['mean_high']:.4g}]) is {word} than every other "
                                   "study's, and the intervals do not overlap.")
    return None, (f"No clear winner: {top['study']} has the {'highest' if maximize else 'lowest'} mean score "
                  f"({top['mean']:.4g}), but its 95% CI overlaps another study's.")


def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for k, v in value.items():
            out |= _flat(v, f"{prefix}.{k}" if prefix else str(k))
        return out
    return {prefix: value if not isinstance(value, list) else str(value)}


def settings_diff(exports: Sequence[StudyExport]) -> pd.DataFrame:
    """The settings (spec, sampler, pruner, seed, space) that differ between the studies: one row per
    setting, one column per study; settings every study shares are left out."""
    flat = []
    for exp in exports:
        spec = exp.meta.get("spec") or {}
        picked = {k: spec.get(k, exp.meta.get(k)) for k in SETTINGS}
        picked["space"] = exp.meta.get("space") or spec.get("space")
        flat.append(_flat(picked))
    keys = list(dict.fromkeys(k for f in flat for k in f))
    rows = [{"setting": k, **{e.study: f.get(k, "—") for e, f in zip(exports, flat, strict=True)}}
            for k in keys if len({repr(f.get(k, "—")) for f in flat}) > 1]
    return pd.DataFrame(rows, columns=["setting", *[e.study for e in exports]])


def _scores_table(scores: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "study": scores["study"], "trials": scores["trials"], "COMPLETE": scores["complete"],
        "pruned": scores["pruned"], "diverged": scores["diverged"], "best score (one search: no CI)": scores["best"],
        "best trial": scores["best trial"],
        "mean score [95% CI]": [ci_one(*r) for r in scores[["mean", "mean_low", "mean_high"]].to_numpy()],
        "median score [95% CI]": [ci_one(*r) for r in scores[["median", "median_low", "median_high"]].to_numpy()],
    })


def render_study_comparison(exports: Sequence[StudyExport | str | Path], *, out_dir: str | Path,
                            rng: np.random.Generator | None = None, n_boot: int = 1000) -> Path:
    """Two or more studies of one direction and objective on one page (`<out_dir>/index.html` + figures/):
    the verdict, the scores per study, the settings that differ, the best-so-far step lines on one axis, the
    score distributions and each study's best learning curve. ValueError when they cannot be compared."""
    loaded = [as_export(e) for e in exports]
    check_comparable(loaded)
    rng = rng if rng is not None else np.random.default_rng(0)
    direction = loaded[0].direction
    data = comparison_data(loaded)
    scores = study_scores(loaded, rng=rng, n_boot=n_boot)
    winner, sentence = verdict(scores, direction)
    plans = [
        FigurePlan("best_so_far", "Best score so far, every study on one axis",
                   f"Best score ({direction}) among the COMPLETE trials so far, as steps; one search per study, "
                   "so no band.", lambda: FX.plot_best_so_far_bands(data.history, rng=rng, n_boot=n_boot), wide=True),
        FigurePlan("scores", "Scores of the COMPLETE trials", "Box plot per study; diverged trials red crosses.",
                   lambda: FX.plot_score_distribution(data.trials)),
        FigurePlan("curves", "val_acc of each study's best trial", "One line per study (its best trial).",
                   lambda: FX.plot_curve_bands(data.curves, rng=rng, n_boot=n_boot)),
    ]
    out = Path(out_dir)
    blocks = draw_figures(plans, out / "figures")
    diff = settings_diff(loaded)
    sections = [
        ("verdict", "Verdict", f"<p><strong>{H.esc(sentence)}</strong></p><p>Metric: the score (objective "
         f"{H.esc(_objective(loaded[0]))}, direction {H.esc(direction)}) of each study's COMPLETE trials; mean "
         f"and median with 95% percentile-bootstrap CIs ({n_boot} resamples), none from fewer than {S.MIN_CI} "
         "trials. The best score is one search's maximum: it has no interval.</p>"),
        ("scores", "Scores per study", H.data_table(_scores_table(scores), table_id="scores")),
        ("settings", "Settings that differ",
         H.data_table(diff, table_id="settings", sortable=False) if len(diff)
         else "<p>None: the studies share every setting (their seeds included).</p>"),
        ("figures", "Figures", H.figures_html(blocks)),
    ]
    names = ", ".join(e.study for e in loaded)
    text = H.page(f"Comparison of {names}", sections,
                  subtitle=f"{len(loaded)} studies, direction {direction}; winner: {winner or 'none'}",
                  footer="Rendered by reports from the studies' exports (hpsearch compare).")
    return H.write_page(out, text)
