"""`render_comparison(exports, out_dir=...)`: several studies side by side on one page (narrowing rounds, one
study per optimizer, seeds), pooled by group.

The long frames come from `reports.data.compare`; the page draws the banded best-so-far and learning curves
and the score distributions (`reports.figures.compare`) and writes one self-contained page with the
per-study overview and the per-group table of mean/median scores with bootstrap confidence intervals.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from reports.data.compare import Grouping, comparison_data, comparison_table
from reports.data.stats import MIN_CI
from reports.figures import compare as FX
from reports.load import StudyExport
from reports.pages import html as H
from reports.pages.common import FigurePlan, as_export, draw_figures


def render_comparison(
    exports: Sequence[StudyExport | str | Path],
    *,
    out_dir: str | Path,
    title: str = "Comparison",
    group: Grouping = None,
    rng: np.random.Generator | None = None,
    n_boot: int = 1000,
    metric: str = "val_acc",
) -> Path:
    """Render a comparison page of several studies: `<out_dir>/index.html` + `<out_dir>/figures/*.png`.
    Confidence intervals are percentile bootstraps drawn from `rng` (default: numpy Generator seeded 0,
    so a page renders identically twice). Returns the path of index.html."""
    rng = rng if rng is not None else np.random.default_rng(0)
    loaded = [as_export(e) for e in exports]
    data = comparison_data(loaded, group=group, metric=metric)
    table = comparison_table(data.trials, rng=rng, n_boot=n_boot, direction=data.direction)
    plans = [
        FigurePlan("best_so_far", "Best score so far",
                   "Steps: mean over each group's studies with a 95% bootstrap confidence band (none from fewer "
                   "than 3 studies).",
                   lambda: FX.plot_best_so_far_bands(data.history, rng=rng, n_boot=n_boot)),
        FigurePlan("curves", f"{metric} of each study's best trial",
                   "Mean over each group's studies with a 95% bootstrap confidence band (none from fewer than 3 "
                   "studies).",
                   lambda: FX.plot_curve_bands(data.curves, metric=metric, rng=rng, n_boot=n_boot)),
        FigurePlan("scores", "Scores of COMPLETE trials", "Box plot per group; diverged trials red crosses.",
                   lambda: FX.plot_score_distribution(data.trials)),
    ]
    out = Path(out_dir)
    blocks = draw_figures(plans, out / "figures")
    note = [f"study {row['study']} has no COMPLETE trial with a score"
            for _, row in data.overview.iterrows() if row["best"] is None or pd.isna(row["best"])]
    if not loaded:
        note.append("no studies were given")
    sections = [
        ("studies", "Studies", H.notes(note) + H.data_table(data.overview, table_id="studies")),
        ("stats", "Scores by group",
         "<p>Mean and median score of the COMPLETE trials with 95% percentile-bootstrap confidence "
         f"intervals ({n_boot} resamples; — where fewer than {MIN_CI} values give no interval); best_mean is "
         "the mean over the group's studies of each study's best score (in the direction of the studies).</p>"
         + H.data_table(table, table_id="stats")),
        ("figures", "Figures", H.figures_html(blocks)),
    ]
    text = H.page(title, sections, subtitle=f"{len(loaded)} studies, direction {data.direction}",
                  footer="Rendered by reports from study exports.")
    return H.write_page(out, text)
