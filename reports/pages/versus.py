"""`render_study_comparison(exports, out_dir=...)`: a user's own studies side by side (`hpsearch compare`):
TPE vs random on their problem, before vs after a change, one study per optimizer.

The page gives the verdict (a winner only when its interval excludes every other study's), the scores per
study, the settings that differ (all from `reports.data.versus`) and the best-so-far step lines on one axis,
the score distributions and each study's best learning curve (`reports.figures.compare`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from reports.data.compare import comparison_data
from reports.data.stats import MIN_CI
from reports.data.versus import check_comparable, objective_of, settings_diff, study_scores, verdict
from reports.figures import compare as FX
from reports.load import StudyExport
from reports.pages import html as H
from reports.pages.common import FigurePlan, as_export, ci_one, draw_figures

__all__ = ["render_study_comparison"]


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
         f"{H.esc(objective_of(loaded[0]))}, direction {H.esc(direction)}) of each study's COMPLETE trials; mean "
         f"and median with 95% percentile-bootstrap CIs ({n_boot} resamples), none from fewer than {MIN_CI} "
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
