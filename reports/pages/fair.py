"""`render_fair(tuning, test, out_dir=...)`: the fair optimizer comparison page: tuning studies (one per
optimizer and tuning seed, the same budget) and the test study (every optimizer's defaults and tuned
configurations on the same seeds).

Defaults vs tuned on the test split (table and figure), best so far against the tuning budget per optimizer
(bands across tuning seeds) and the learning-rate sensitivity with where each optimizer starts to diverge.
The frames come from `reports.data.fair`, the figures from `reports.figures.fair` and `.compare`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from reports.data.book import params_frame
from reports.data.compare import comparison_data
from reports.data.fair import default_vs_tuned, divergence_table, sensitivity_frame, test_frame
from reports.figures import compare as FX
from reports.figures import fair as FF
from reports.load import StudyExport
from reports.pages import html as H
from reports.pages.common import OPTIMIZER_ORDER, FigurePlan, Semantics, as_export, ci_one, setup_section, write_page


def _side_by_side(summary: pd.DataFrame, order: Sequence[str]) -> pd.DataFrame:
    rows = []
    for name in order:
        row: dict[str, object] = {"optimizer": name}
        for kind in ("default", "tuned"):
            hit = summary.loc[(summary["optimizer"] == name) & (summary["kind"] == kind)]
            if len(hit):
                h = hit.iloc[0]
                cell = ci_one(h["mean"], h["low"], h["high"])
                seeds = h.get("tuning seeds")
                if not pd.isna(seeds) and pd.isna(h["low"]):  # the interval is over tuning seeds
                    cell = f"{H.fmt(h['mean'])} (no CI: {int(seeds)} tuning seed{'s' if seeds != 1 else ''} < 3)"
                row[f"{kind}: test acc [95% CI]"] = cell
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
                   "Means over the runs with 95% percentile-bootstrap CIs: defaults over their training seeds, "
                   "tuned configurations over their tuning seeds (no bar from fewer than 3 of either); held-out "
                   "test split, never used for tuning.",
                   lambda: FF.plot_default_vs_tuned(summary, order=order)),
        FigurePlan("budget", "Best validation accuracy vs tuning budget",
                   "Best so far against COMPLETE trials (steps), mean over tuning seeds with a 95% bootstrap band "
                   "(none from fewer than 3 seeds); a tuning seed that finished fewer COMPLETE trials keeps its "
                   "best to the end.",
                   lambda: FX.plot_best_so_far_bands(history, rng=rng, n_boot=n_boot)),
        FigurePlan("sensitivity", "Validation accuracy vs learning rate",
                   "Every tuning trial; " + ("red crosses diverged, dashed red line: the smallest diverged lr"
                                             if len(sens) and sens["diverged"].astype(bool).any()
                                             else "no trial diverged") + "; star: the best trial.",
                   lambda: FF.plot_sensitivity(sens, order=order, onset=onset, direction=direction),
                   wide=True),
    ]
    sections = [
        ("setup", "What ran", setup_section([*tuned, tst], semantics)),
        ("test", "Defaults vs tuned on the test split",
         "<p>Each optimizer's default hyperparameters and its tuned configuration(s) (the best validation trial of "
         "each tuning seed) trained on the same seeds and scored once on the test split; mean with a 95% "
         f"percentile-bootstrap CI ({n_boot} resamples; for tuned configurations the resampled unit is the tuning "
         "seed with all its training seeds, since runs of one tuning seed share its tuned configuration).</p>"
         + H.data_table(_side_by_side(summary, order), table_id="test")),
        ("divergence", "Learning-rate sensitivity",
         "<p>Per optimizer, over all its tuning trials: the smallest learning rate that diverged, the largest that "
         "did not with its validation accuracy (a run that did not diverge may still not learn: a score at "
         "chance level says so), and the best trial.</p>"
         + H.data_table(onset.set_index("optimizer").reindex(order).reset_index() if len(onset) else onset,
                      table_id="divergence")),
    ]
    return write_page(out_dir, "A fair optimizer comparison", f"{len(order)} optimizers, the same tuning budget each",
                      sections, plans)
