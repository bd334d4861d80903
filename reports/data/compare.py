"""Comparison pages: several studies side by side (narrowing rounds, one study per optimizer, seeds).

`comparison_data(exports, group=...)` builds the long frames (pure pandas); `render_comparison` draws the
banded curves and distributions and writes one self-contained page with the per-study overview and the
per-group table of mean/median scores with bootstrap confidence intervals.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from reports import figures_compare as FX
from reports import html as H
from reports import summaries as S
from reports.load import StudyExport
from reports.render import FigurePlan, as_export, draw_figures

log = logging.getLogger(__name__)

Grouping = Mapping[str, str] | Callable[[StudyExport], str] | None


@dataclass(frozen=True)
class ComparisonData:
    """Long frames over all studies: `trials` (group, study, number, value, diverged: scored trials),
    `history` (group, study, index, best: best-so-far sampled on a grid), `curves` (group, study, epoch,
    value: the metric of each study's best trial) and `overview` (one row per study)."""

    trials: pd.DataFrame
    history: pd.DataFrame
    curves: pd.DataFrame
    overview: pd.DataFrame
    direction: str


def _group_of(export: StudyExport, group: Grouping) -> str:
    if group is None:
        return export.study
    if callable(group):
        return str(group(export))
    return str(group.get(export.study, export.study))


def _concat(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)


def comparison_data(
    exports: Sequence[StudyExport], *, group: Grouping = None, metric: str = "val_acc", points: int = 200
) -> ComparisonData:
    """Combine studies for comparison. `group` maps each study to a group label (a {study: label} mapping
    or a function of the StudyExport); None makes each study its own group."""
    directions = {e.direction for e in exports}
    if len(directions) > 1:
        log.warning("studies mix directions %s; using the first study's", sorted(directions))
    direction = exports[0].direction if exports else "maximize"
    trials, history, curves, overview = [], [], [], []
    for exp in exports:
        label = _group_of(exp, group)
        ok = S.scored(exp.trials)
        trials.append(pd.DataFrame({"group": label, "study": exp.study, "number": ok["number"].to_numpy(),
                                    "value": ok["value"].to_numpy(dtype=float),
                                    "diverged": ok["diverged"].to_numpy(dtype=bool)}))
        grid = S.best_so_far_grid(S.best_so_far(exp.trials, direction), points=points)
        history.append(grid.assign(group=label, study=exp.study))
        best = S.best_trial(exp.trials, direction)
        if best is not None:
            wide = S.curve_wide(exp.curves, metric, [best["number"]])
            if not wide.empty:
                row = wide.iloc[0].dropna()
                curves.append(pd.DataFrame({"group": label, "study": exp.study,
                                            "epoch": row.index.to_numpy(), "value": row.to_numpy()}))
        counts = S.state_counts(exp.trials)
        overview.append({
            "study": exp.study, "group": label, "seed": exp.meta.get("seed"), "trials": counts["TOTAL"],
            "complete": counts["COMPLETE"], "pruned": counts["PRUNED"], "fail": counts["FAIL"],
            "diverged": counts["DIVERGED"], "best": None if best is None else best["value"],
            "best trial": None if best is None else best["number"],
            "wall seconds": exp.meta.get("wall_seconds"), "parent": exp.meta.get("parent"),
        })
    return ComparisonData(
        trials=_concat(trials, ["group", "study", "number", "value", "diverged"]),
        history=_concat(history, ["group", "study", "index", "best"]),
        curves=_concat(curves, ["group", "study", "epoch", "value"]),
        overview=pd.DataFrame(overview),
        direction=direction,
    )


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
    table = S.comparison_table(data.trials, rng=rng, n_boot=n_boot, direction=data.direction)
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
         f"intervals ({n_boot} resamples; — where fewer than {S.MIN_CI} values give no interval); best_mean is "
         "the mean over the group's studies of each study's best score (in the direction of the studies).</p>"
         + H.data_table(table, table_id="stats")),
        ("figures", "Figures", H.figures_html(blocks)),
    ]
    text = H.page(title, sections, subtitle=f"{len(loaded)} studies, direction {data.direction}",
                  footer="Rendered by reports from study exports.")
    return H.write_page(out, text)
