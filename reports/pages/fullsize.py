"""`render_fullsize(export, anchors=...)`: the page of a full-size search: the final pick's test accuracy
beside published anchors, the search's cost, the warm start and scheduling it ran with (when the study
carries them), and best-so-far against wall time and epochs spent (`reports.data.budget`,
`reports.figures.budget`).

Reads an export (``meta["final"]`` holds the pick scored on test by :func:`hpsearch.final.final_pick`; its
scores, ``meta["priors"]`` and ``meta["schedule"]`` are read by `reports.data.final`). The pick is retrained
once per seed and each net scored on test once: the page shows every seed's score, their mean and spread,
and an interval of the mean only from MIN_CI seeds on (one seed is one number: no interval is claimed). The
anchors are other people's single numbers, compared with the mean as such.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from reports.data import study as S
from reports.data.budget import budget_history
from reports.data.final import LEVEL, FinalScores, final_scores, prior_box, prior_configs, schedule_rows
from reports.data.stats import MIN_CI
from reports.figures.budget import plot_best_vs_epochs, plot_best_vs_time
from reports.figures.study import plot_history
from reports.load import StudyExport
from reports.pages import html as H
from reports.pages.common import FigurePlan, as_export, default_out_dir, draw_figures

__all__ = ["render_fullsize"]


def _spread(scores: FinalScores) -> str:
    if scores.n == 1:
        return ("One retraining seed: this is one number, and no interval is claimed for it (another seed "
                "would give another number).")
    text = (f"Spread over the {scores.n} seeds: standard deviation {scores.std:.4f}, min-max "
            f"{scores.low:.4f}-{scores.high:.4f}.")
    if scores.ci is None:
        return text + f" No interval from fewer than {MIN_CI} seeds."
    return text + (f" {LEVEL:.0%} interval of the mean, t-based over the seeds ({scores.n - 1} degrees of "
                   f"freedom): [{scores.ci[0]:.4f}, {scores.ci[1]:.4f}]. It covers the seed-to-seed variation of "
                   "retraining this one configuration, not the choice of the configuration.")


def _headline(final: Mapping | None, direction: str) -> str:
    if not final:
        return "<p>No final pick yet: the search has not been scored on the test split.</p>"
    scores = final_scores(final)
    retrain = ("retrained on training + validation" if final.get("retrain") == "train+val"
               else "retrained on the training split (the net the trial trained)")
    if scores.n == 1:
        big = f"Test accuracy {scores.mean:.4f}"
        scored = "scored on 1 retraining seed (the test split read once, only by the final pick)"
    else:
        big = f"Test accuracy {scores.mean:.4f} (mean of {scores.n} seeds)"
        scored = (f"scored on {scores.n} retraining seeds (the test split read once per seed, only by the "
                  "final pick)")
    table = scores.per_seed.rename(columns={"test_acc": "test accuracy", "train_seconds": "training seconds"})
    return (
        f'<p style="font-size:20px;margin:6px 0"><b>{H.esc(big)}</b></p>'
        f"<p>Final pick: trial {H.esc(final['trial'])} ({H.esc(_chosen_by(final, direction))}), "
        f"{H.esc(retrain)} on {final['n_train']:,} images "
        f"({final.get('train_seconds', float('nan')):.0f} s in all), {H.esc(scored)}, "
        f"on {final['n_test']:,} test images.</p>"
        + _candidates(final)
        + f"<p>{H.esc(_length(final))}</p>"
        + _plain(final)
        + f"<p>{H.esc(_spread(scores))}</p>"
        + H.data_table(table, table_id="seeds", sortable=False)
    )


def _plain(final: Mapping) -> str:
    """With test-time flip averaging, what the same nets score without it: the published anchors' way."""
    plain = final.get("test_per_seed_plain")
    if not plain:
        return ""
    each = ", ".join(f"{v:.4f}" for v in plain)
    return (f"<p>Scored with test-time flip averaging (each image's class probabilities averaged with its "
            f"mirror's, as each trial's validation score was). The same nets without it: mean "
            f"{_plain_mean(final):.4f} ({H.esc(each)}).</p>")


def _plain_mean(final: Mapping | None) -> float | None:
    """The mean test score without test-time flip averaging, when the pick was scored with it; else None."""
    plain = (final or {}).get("test_per_seed_plain")
    return sum(plain) / len(plain) if plain else None


def _revalidated(final: Mapping) -> list[Mapping]:
    """The candidates trained again on validation (``final_pick(top=K)``, K > 1); none for a top-1 pick."""
    cands = final.get("candidates") or []
    return cands if len(cands) > 1 and all("val_mean" in c for c in cands) else []


def _chosen_by(final: Mapping, direction: str) -> str:
    cands = _revalidated(final)
    if not cands:
        return f"best validation score {final['value']:.4f}, {direction}"
    chosen = final["chosen"]
    return (f"validation score {final['value']:.4f} in the search; chosen among the {len(cands)} best by the mean "
            f"validation score over {len(chosen['val_per_seed'])} seed(s), trained again on the search's split: "
            f"{chosen['val_mean']:.4f}, {direction}")


def _candidates(final: Mapping) -> str:
    cands = _revalidated(final)
    if not cands:
        return ""
    rows = [{"trial": c["trial"], "search score": c["search_value"],
             "validation per seed": ", ".join(f"{v:.4f}" for v in c["val_per_seed"]),
             "validation mean": c["val_mean"], "chosen": "yes" if c["trial"] == final["trial"]
             and c["study"] == final["study"] else ""} for c in cands]
    return ("<p>Candidates, each trained again once per retraining seed on the search's split and scored on "
            "validation (the test split not read):</p>"
            + H.data_table(pd.DataFrame(rows), table_id="candidates", sortable=False))


def _length(final: Mapping) -> str:
    """How long the pick was retrained, and the length check's evidence when one ran."""
    check = final.get("length_check")
    epochs = final.get("epochs")
    trial = final.get("trial_epochs")
    if not check and trial and epochs != trial:
        return (f"Retrained for {epochs} epochs, {epochs / trial:g} times its trial's {trial}, without a length "
                "check: a fixed factor, set before the test split was read.")
    if not check:
        return ("Retrained for its trial's epochs" + (f" ({epochs})" if epochs else "")
                + ": no length check ran.")
    lengths, values = check["epochs"], check["values"]
    runs = ", ".join(f"{e} epochs {v:.4f}" for e, v in zip(lengths, values, strict=True))
    verdict = (f"the pick was retrained for {final['epochs']} epochs, {check['gain']:+.4f} over its trial's "
               f"{lengths[0]}, the shortest length within the margin {check['min_gain']:g} of the best"
               if check["paid"] else
               f"no longer run gained the margin {check['min_gain']:g}, so the pick was retrained for its "
               f"trial's {lengths[0]} epochs")
    return (f"Length check (on validation, one seed, before the test split was read): {runs}; {verdict}. "
            "Paired comparisons, not a significance test.")


def _anchors(final: Mapping | None, anchors: Mapping[str, float]) -> str:
    if not anchors:  # published numbers of another data set would compare nothing
        return "<p>No published results on this data set are set beside this search.</p>"
    rows = []
    scores = final_scores(final) if final else None
    ours = scores.mean if scores else None
    plain = _plain_mean(final)  # the anchors were scored this way
    minus, minus_plain = "this search minus it", "this search without flip averaging minus it"
    for name, acc in sorted(anchors.items(), key=lambda kv: kv[1]):
        row = {"result": name, "test accuracy": acc, minus: "" if ours is None else f"{ours - acc:+.4f}"}
        if plain is not None:
            row[minus_plain] = f"{plain - acc:+.4f}"
        rows.append(row)
    if scores is not None:
        label = "this search (final pick)" if scores.n == 1 else f"this search (final pick, mean of {scores.n} seeds)"
        rows.append({"result": label, "test accuracy": ours, minus: ""})
        if plain is not None:
            rows.append({"result": label.replace("(final pick", "(final pick without test-time flip averaging"),
                         "test accuracy": plain, minus: ""})
    frame = pd.DataFrame(rows).fillna("").sort_values("test accuracy", kind="stable")
    what = "" if scores is None or scores.n == 1 else " (this search: the mean over its seeds)"
    return (f"<p>Beside published results on this data set, each a single number{what}:</p>"
            + H.data_table(frame, table_id="anchors", sortable=False))


def _warm_start(priors: Mapping) -> str:
    configs, box = prior_configs(priors), prior_box(priors)
    parts = ["<p>Configurations the search was started from (enqueued before the sampler's own):</p>",
             H.data_table(configs, table_id="priors", sortable=False) if len(configs) else "<p>None.</p>"]
    source = priors.get("box_source")
    if len(box):
        parts += [f"<p>The box searched{' (from ' + H.esc(source) + ')' if source else ''}:</p>",
                  H.data_table(box, table_id="box", sortable=False)]
    else:
        parts.append("<p>No box: the search space as the spec gives it.</p>")
    parts.append(f"<p>Start-up trials (before the sampler models the results): "
                 f"{H.esc(priors.get('startup_trials'))}.</p>")
    return "".join(parts)


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
        ("final retraining", _retraining(final)),
    ]
    return H.kv_table(rows)


def _retraining(final: Mapping) -> str:
    if not final:
        return "not run"
    n = final_scores(final).n
    epochs = f", {final['epochs']} epochs" if final.get("epochs") else ""
    check = final.get("length_check")
    checked = f"; length check {sum(check['seconds']):.0f} s of training before it" if check else ""
    cands = _revalidated(final)
    if cands and all("val_seconds" in c for c in cands):
        checked += f"; {len(cands)} candidates re-validated in {sum(c['val_seconds'] for c in cands):.0f} s before it"
    return f"{final['train_seconds']:.0f} s" + (f" ({n} seeds{epochs})" if n > 1 else epochs) + checked


def render_fullsize(
    export: StudyExport | str | Path, *, anchors: Mapping[str, float], out_dir: str | Path | None = None,
    n_train: int | None = None,
) -> Path:
    """Write ``<out_dir>/index.html`` (+ figures/); ``n_train``: the search's training images (default: from
    ``meta["final"]``), which turns samples into epochs."""
    exp = as_export(export)
    out = Path(out_dir) if out_dir is not None else default_out_dir(exp)
    final = exp.meta.get("final")
    priors, schedule = exp.meta.get("priors"), exp.meta.get("schedule")
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
        *([("warm-start", "Warm start", _warm_start(priors))] if priors else []),
        *([("scheduling", "Scheduling", H.kv_table(schedule_rows(schedule)))] if schedule else []),
        ("figures", "Figures", H.figures_html(blocks)),
        ("top", f"Top {len(top)} trials (validation)", H.data_table(top, table_id="topk", highlight="diverged")
         if len(top) else "<p>No COMPLETE trial with a score.</p>"),
    ]
    text = H.page(f"Full-size search {exp.study}", sections,
                  subtitle=f"{S.slots_text(S.slots_ran(exp.trials, exp.meta))}, direction {exp.direction}",
                  footer=f"Rendered by reports from the export of study {exp.study}.")
    return H.write_page(out, text)
