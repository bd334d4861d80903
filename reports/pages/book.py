"""The pages of the book's chapter-6 experiments (one self-contained page per study script): optimizer
paths, loss curves by optimizer or init, weight initialisation, batch normalization, overfitting.

Every page opens with what was run and under which semantics: the rows the study script passes
(``semantics``: "book" unless marked "option"), the settings stored in the export's meta, and per study its
trials, seeds, workers and wall time (`reports.pages.common.setup_section`). Figures come from
`reports.figures.book`, tables from `reports.data.book`; the HTML is `reports.pages.html`'s and the PNGs are
drawn by `reports.pages.common.write_page`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from reports.data import book as D
from reports.data.stats import MIN_CI, mean_bands
from reports.figures import book as B
from reports.load import StudyExport
from reports.pages import html as H
from reports.pages.common import (
    BOOK,
    OPTIMIZER_ORDER,
    FigurePlan,
    Semantics,
    as_export,
    ci_text,
    setup_section,
    with_diverged,
    write_page,
)

INIT_ORDER = ("std=0.01", "xavier", "he")
SCALE_ORDER = ("std=1", "std=0.01", "xavier", "he")


def _order(values: pd.Series, preferred: Sequence[str]) -> list[str]:
    present = list(dict.fromkeys(str(v) for v in values))
    return [p for p in preferred if p in present] + [p for p in present if p not in preferred]


def render_trajectories(export: StudyExport | str | Path, *, out_dir: str | Path, semantics: Semantics) -> Path:
    """The book's section 6.1: the 2x2 (2x3 with RMSprop/Nesterov) contour panels and a table of final points."""
    exp = as_export(export)
    paths = D.trajectories(exp)
    order = _order(paths["optimizer"], OPTIMIZER_ORDER) if len(paths) else []
    last = paths.sort_values("step").groupby("optimizer", sort=False).tail(1) if len(paths) else paths
    table = last.set_index("optimizer").reindex(order).reset_index() if len(paths) else last
    plans = [FigurePlan("trajectories", "Optimizer paths on f(x, y) = x^2/20 + y^2",
                        "Book order SGD, Momentum, AdaGrad, Adam (then the extra panels); red circles: the 30 "
                        "recorded points; '+': the minimum.", lambda: B.plot_trajectories(paths, order=order),
                        wide=True)]
    sections = [("setup", "What ran", setup_section([exp], semantics)),
                ("table", "Last recorded point", H.data_table(table, table_id="last"))]
    return write_page(out_dir, "Optimizer paths on the book's 2-D bowl",
                      f"{BOOK}, section 6.1 (figures 6-3 to 6-8)", sections, plans)


def curves_parts(exp: StudyExport, group: str, *, order: Sequence[str], ylim: tuple[float, float] | None,
                 rng: np.random.Generator, n_boot: int) -> tuple[list[tuple[str, str, str]], list[FigurePlan]]:
    """Loss-curve sections and figures of an `mnist-curves` study, grouped by `group` (optimizer or init).
    The figure's y range is the book's `ylim` widened to the data; its markers every 1/20 of the run (every
    100 iterations at the book's 2000), and the caption says which; diverged runs are crossed and counted."""
    raw = D.curve_frame(exp, "loss")
    smooth = D.curve_frame(exp, "loss_smooth")
    n_iter = int(raw["epoch"].max()) + 1 if len(raw) else 0
    windows = D.book_windows(n_iter) if n_iter else []
    table = D.window_table(raw, group, windows, rng=rng, n_boot=n_boot) if len(raw) else pd.DataFrame()
    for a, b in windows:
        if len(table):
            table[f"loss {a}-{b}: mean [95% CI]"] = ci_text(table, f"loss {a}-{b}")
    if len(table):
        table["diverged"] = D.diverged_count(raw, group).set_index(group).reindex(table[group])["diverged"].to_numpy()
    shown = (table[[group, "seeds", "diverged", *[c for c in table.columns if "[95% CI]" in str(c)]]]
             if len(table) else table)
    test = D.final_values(D.curve_frame(exp, "test_acc"))
    test_table = D.summary_table(test, group, "value", rng=rng, n_boot=n_boot, label="test acc") if len(test) else test
    if len(test_table):
        test_table = test_table.assign(**{"test acc: mean [95% CI]": ci_text(test_table, "test acc")})
        test_table = test_table[[group, "n", "test acc: mean [95% CI]"]]
    shown_curves = smooth if len(smooth) else raw
    bands = mean_bands(shown_curves, group, rng=rng, n_boot=n_boot)
    crosses = D.diverged_points(raw, group)
    every = max(n_iter // 20, 1)
    plans = [FigurePlan(f"loss_{group}", f"Smoothed training loss by {group}",
                        "The book's smooth_curve of the post-update minibatch loss; mean over seeds with a 95% "
                        f"bootstrap band (seeds resampled; no band from fewer than {MIN_CI} seeds); markers every "
                        f"{every} iteration{'s' if every > 1 else ''}; red crosses: diverged runs where they "
                        "stopped.",
                        lambda: B.plot_curve_bands(bands, group, order=order, ylim=ylim, markevery=every,
                                                   diverged=crosses), wide=True)]
    note = ("<p>Mean raw post-update minibatch loss of each run over the iteration windows (inclusive), then "
            f"the mean over seeds with a 95% percentile-bootstrap CI ({n_boot} resamples).</p>")
    sections = [(f"loss_{group}", f"Loss by {group}", note + H.data_table(shown, table_id=f"loss_{group}")),
                (f"test_{group}", "Test accuracy after training",
                 "<p>One evaluation on the test set after the last iteration (not in the book).</p>"
                 + H.data_table(test_table, table_id=f"test_{group}"))]
    return sections, plans


def render_curves(export: StudyExport | str | Path, *, out_dir: str | Path, semantics: Semantics,
                  group: str = "optimizer", title: str = "Optimizers on MNIST", ylim: tuple[float, float] = (0, 1),
                  rng: np.random.Generator | None = None, n_boot: int = 1000,
                  cite: str = "section 6.1.8 (figure 6-9)") -> Path:
    """The book's optimizer (or init) comparison on MNIST: smoothed loss curves with bands by `group` (y range:
    `ylim`, the book's, widened to the data), and the window table."""
    exp = as_export(export)
    rng = rng if rng is not None else np.random.default_rng(0)
    params = D.params_frame(exp.trials)
    order = _order(params[group], OPTIMIZER_ORDER if group == "optimizer" else INIT_ORDER) if len(params) else []
    sections, plans = curves_parts(exp, group, order=order, ylim=ylim, rng=rng, n_boot=n_boot)
    return write_page(out_dir, title, f"{BOOK}, {cite}: {len(order)} groups, {exp.study}",
                      [("setup", "What ran", setup_section([exp], semantics)), *sections], plans)


def render_weight_init(hist_export: StudyExport | str | Path, curves_export: StudyExport | str | Path | None, *,
                       out_dir: str | Path, semantics: Semantics, ylim: tuple[float, float] = (0, 2.5),
                       rng: np.random.Generator | None = None, n_boot: int = 1000) -> Path:
    """The book's sections 6.2.2-6.2.4: per activation the histogram grid (scale x layer), the spread table,
    and (if given) the std=0.01 / Xavier / He loss curves with bands."""
    hist = as_export(hist_export)
    rng = rng if rng is not None else np.random.default_rng(0)
    counts = D.hist_counts(hist)
    settings = (hist.meta.get("spec") or {}).get("settings") or {}
    spread = D.curve_frame(hist, "act_std")
    spread_table = (spread.pivot_table(index=["activation", "init"], columns="epoch", values="value", aggfunc="mean")
                    .rename(columns=lambda k: f"std layer {int(k) + 1}").reset_index()) if len(spread) else spread
    plans = []
    for act in _order(counts["activation"], ("sigmoid", "tanh", "relu")) if len(counts) else []:
        symmetric = act == "tanh" and bool(settings.get("tanh_symmetric"))
        rows = _order(counts.loc[counts["activation"] == act, "init"], SCALE_ORDER)
        plans.append(FigurePlan(
            f"hist_{act}", f"{act}: activations per layer",
            f"Counts of each layer's activations in {settings.get('bins', 30)} bins over "
            f"{'(-1, 1)' if symmetric else '(0, 1)'}, mean over seeds; rows: weight scale.",
            lambda a=act, r=rows, s=symmetric: B.plot_activation_histograms(
                counts, a, inits=r, value_range=(-1.0, 1.0) if s else (0.0, 1.0)), wide=True))
    exports = [hist]
    sections = [("spread", "Spread of the activations",
                 "<p>Standard deviation of each layer's activations (all values), mean over seeds.</p>"
                 + H.data_table(spread_table, table_id="spread"))]
    if curves_export is not None:
        cur = as_export(curves_export)
        exports.append(cur)
        order = _order(D.params_frame(cur.trials)["init"], INIT_ORDER)
        more, more_plans = curves_parts(cur, "init", order=order, ylim=ylim, rng=rng, n_boot=n_boot)
        sections += more
        plans += more_plans
    return write_page(out_dir, "Weight initialisation", f"{BOOK}, sections 6.2.2-6.2.4 (figures 6-10 to 6-15)",
                      [("setup", "What ran", setup_section(exports, semantics)), *sections], plans)


def bn_table(acc: pd.DataFrame, *, rng: np.random.Generator, n_boot: int) -> pd.DataFrame:
    """Final training accuracy per init scale, with and without BN: mean over seeds with a CI (none from
    fewer than 3 seeds), and how many seeds diverged (their last accuracy before the loss broke counts)."""
    final = D.final_values(acc)
    if final.empty:
        return pd.DataFrame()
    final["w"] = [D.BN_SCALES[int(k)] for k in final["w_index"]]
    final["net"] = final["norm"].map({"batch_norm": "with BN", "none": "without BN"})
    final["key"] = list(zip(final["w"], final["net"], strict=True))
    table = D.summary_table(final, "key", "value", rng=rng, n_boot=n_boot, label="final train acc")
    count = D.diverged_count(final, "key").set_index("key").reindex(table["key"]).reset_index()
    table[["w", "net"]] = pd.DataFrame(table["key"].tolist(), index=table.index)
    table["text"] = with_diverged(ci_text(table, "final train acc"), count)
    return (table.pivot_table(index="w", columns="net", values="text", aggfunc="first")
            .rename(columns=lambda c: f"{c}: final train acc [95% CI]").sort_index(ascending=False)
            .reset_index().assign(seeds=int(final["number"].nunique() // max(len(table), 1))))


def render_batch_norm(export: StudyExport | str | Path, *, out_dir: str | Path, semantics: Semantics,
                      rng: np.random.Generator | None = None, n_boot: int = 1000, every: int | None = None) -> Path:
    """The book's section 6.3.2: the 4x4 grid of training-accuracy curves (BN solid, none dashed) with bands,
    diverged runs drawn flat after a red cross as the book draws a net that stopped learning, and the final
    training accuracy per scale with CIs and the diverged seeds flagged. ``every``: the updates between two
    evaluations in the run (the caption says it; without it, the caption points at "What ran")."""
    exp = as_export(export)
    rng = rng if rng is not None else np.random.default_rng(0)
    acc = D.curve_frame(exp, "train_acc")
    flat = D.flat_after_divergence(acc) if len(acc) else acc
    bands = mean_bands(flat, ["w_index", "norm"], rng=rng, n_boot=n_boot) if len(acc) else pd.DataFrame()
    crosses = D.diverged_points(acc, ["w_index", "norm"]) if len(acc) else None
    plans = [FigurePlan("bn_grid", "Training accuracy, with and without batch norm, per init scale",
                        "Solid: with BN; dashed: without; mean over seeds with a 95% bootstrap band (none from "
                        f"fewer than {MIN_CI} seeds); a diverged run is drawn flat after its red cross (its last "
                        "accuracy), as the book draws a net that stopped learning; x: evaluations ("
                        + (f"one every {every} update{'s' if every != 1 else ''})." if every else "see What ran)."),
                        lambda: B.plot_bn_grid(bands, scales=D.BN_SCALES, diverged=crosses), wide=True)]
    sections = [("setup", "What ran", setup_section([exp], semantics)),
                ("final", "Final training accuracy",
                 H.data_table(bn_table(acc, rng=rng, n_boot=n_boot), table_id="final"))]
    return write_page(out_dir, "Batch normalization and the init scale",
                      f"{BOOK}, section 6.3.2 (figures 6-18 and 6-19)", sections, plans)


def render_overfitting(export: StudyExport | str | Path, *, out_dir: str | Path, semantics: Semantics,
                       rng: np.random.Generator | None = None, n_boot: int = 1000) -> Path:
    """The book's sections 6.4.1-6.4.3: train vs test accuracy per regulariser with bands (diverged runs
    crossed where they stopped), and the gap table (diverged runs counted)."""
    exp = as_export(export)
    rng = rng if rng is not None else np.random.default_rng(0)
    frames, raw = {}, {}
    for metric in ("train_acc", "test_acc"):
        f = raw[metric] = D.curve_frame(exp, metric)
        f["regulariser"] = [D.overfit_label(r) for r in f.to_dict("records")] if len(f) else []
        frames[metric] = mean_bands(f, "regulariser", rng=rng, n_boot=n_boot) if len(f) else pd.DataFrame(
            columns=["regulariser", "epoch", "mean", "low", "high", "n"])
    crosses = D.diverged_points(raw["train_acc"], "regulariser") if len(raw["train_acc"]) else None
    order = list(dict.fromkeys(frames["train_acc"]["regulariser"]))
    gap = D.gap_table(exp, rng=rng, n_boot=n_boot) if not exp.curves.empty else pd.DataFrame()
    if len(gap):
        for name in ("train acc", "test acc", "gap", "max train acc"):
            gap[f"{name}: mean [95% CI]"] = ci_text(gap, name)
        count = D.diverged_count(raw["train_acc"], "regulariser").set_index("regulariser")
        gap["diverged"] = count.reindex(gap["regulariser"])["diverged"].to_numpy()
        gap = gap[["regulariser", "seeds", "diverged", *[c for c in gap.columns if "[95% CI]" in str(c)]]]
    plans = [FigurePlan("train_test", "Train and test accuracy per regulariser",
                        "Train (o, solid) on the training images, test (s, dashed) on the test set; mean over seeds "
                        f"with 95% bootstrap bands (none from fewer than {MIN_CI} seeds); red crosses: diverged runs "
                        "where they stopped.",
                        lambda: B.plot_train_test(frames["train_acc"], frames["test_acc"], "regulariser", order=order,
                                                  diverged=crosses), wide=True)]
    sections = [("setup", "What ran", setup_section([exp], semantics)),
                ("gap", "Train-test gap at the last evaluation",
                 "<p>Final train and test accuracy, their gap (train - test) and the best train accuracy of each "
                 f"run; mean over seeds with 95% percentile-bootstrap CIs ({n_boot} resamples).</p>"
                 + H.data_table(gap, table_id="gap"))]
    return write_page(out_dir, "Overfitting, weight decay and dropout",
                      f"{BOOK}, sections 6.4.1-6.4.3 (figures 6-20, 6-21 and 6-23)", sections, plans)
