"""The machinery every page shares (the HTML itself is written by `reports.pages.html`).

Figures: a page lists `FigurePlan`s; `draw_figures` draws them under the report style into `figures/NN_<slug>.png`
and returns the blocks to embed. Inputs and places: `as_export`, `default_out_dir`, `slug`. Book-style pages:
the 'what ran' section (`setup_section`, with its `Semantics` rows), interval cells (`ci_one`, `ci_text`,
`with_diverged`), `write_page` (figures appended as the last section), the book's name and optimizer order.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib as mpl
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes

from reports.data.stats import MIN_CI
from reports.load import StudyExport, load_export
from reports.pages import html as H
from safefiles import own_dir, write_file

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FigurePlan:
    """A figure to draw: file slug, title, caption, and a function that draws it and returns an Axes."""

    slug: str
    title: str
    caption: str
    draw: Callable[[], Axes]
    wide: bool = False


def slug(text: object) -> str:
    """A file-name-safe version of a data string."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", str(text)).strip("._")[:60] or "x"


def as_export(export: StudyExport | str | Path) -> StudyExport:
    """`export` itself, or the export read from that folder."""
    return export if isinstance(export, StudyExport) else load_export(export)


def default_out_dir(export: StudyExport) -> Path:
    """`runs/<study>/` for an export read from `runs/<study>/export/`; else `runs/<study name>`."""
    if export.source is not None:
        return export.source.parent if export.source.name == "export" else export.source
    return Path("runs") / slug(export.study)


def draw_figures(plans: Sequence[FigurePlan], figures_dir: Path) -> list[H.FigureBlock]:
    """Draw every plan under the report style, write `figures_dir/NN_<slug>.png` (stale PNGs removed) and
    return the blocks to embed."""
    own_dir(figures_dir)  # a link there is replaced first: the cleanup below never deletes in a linked folder
    for old in figures_dir.glob("*.png"):
        if old.is_file() or old.is_symlink():
            old.unlink()
    style = {**sns.axes_style("whitegrid"), **sns.plotting_context("notebook", font_scale=0.85)}
    blocks = []
    for i, plan in enumerate(plans):
        with mpl.rc_context(style):
            ax = plan.draw()
            png = H.png_bytes(ax.figure)
        write_file(figures_dir / f"{i:02d}_{plan.slug}.png", png)
        blocks.append(H.FigureBlock(plan.title, png, plan.caption, plan.wide))
        log.debug("figure %s: %d bytes", plan.slug, len(png))
    return blocks


Semantics = Sequence[tuple[str, str]]
OPTIMIZER_ORDER = ("sgd", "momentum", "adagrad", "adam", "rmsprop", "nesterov")
NO_CI = f"no CI: fewer than {MIN_CI} seeds"
BOOK = "Deep Learning from Scratch"


def ci_one(mean: object, low: object, high: object) -> str:
    """'mean [low, high]', or 'mean (no CI: fewer than 3 seeds)' when the interval is missing."""
    if pd.isna(low) or pd.isna(high):
        return H.fmt(mean) if pd.isna(mean) else f"{H.fmt(mean)} ({NO_CI})"
    return f"{H.fmt(mean)} [{H.fmt(low)}, {H.fmt(high)}]"


def ci_text(frame: pd.DataFrame, prefix: str) -> pd.Series:
    """:func:`ci_one` of the columns `<prefix> mean`, `<prefix> ci low`, `<prefix> ci high`."""
    return pd.Series([ci_one(m, lo, hi) for m, lo, hi in zip(
        frame[f"{prefix} mean"], frame[f"{prefix} ci low"], frame[f"{prefix} ci high"], strict=True)],
        index=frame.index, dtype=object)


def with_diverged(text: pd.Series, count: pd.DataFrame) -> pd.Series:
    """Each cell of `text` followed by ', k of n seeds diverged' where its group had diverged runs
    (`count`: trials, diverged, aligned with `text`)."""
    flags = [f"; {int(d)} of {int(n)} seeds DIVERGED" if d else "" for n, d in zip(
        count["trials"], count["diverged"], strict=True)]
    return text + pd.Series(flags, index=text.index, dtype=object)


# objectives whose ``epochs`` setting counts evaluations (the book's "epochs" of its figures), not passes over
# the data: their settings say so (hpsearch.experiments.batch_norm, .overfit)
EPOCHS_ARE_EVALUATIONS = frozenset({"batch-norm", "overfit"})


def _settings_rows(exp: StudyExport) -> list[tuple[object, object]]:
    spec = exp.meta.get("spec") or {}
    settings = spec.get("settings") or {}
    if isinstance(settings.get("base"), dict):  # settings wrapping a trial's settings (the fair comparison)
        settings = {**settings["base"], **{k: v for k, v in settings.items() if k not in ("base", "configs")}}
    evaluations = spec.get("objective") in EPOCHS_ARE_EVALUATIONS
    return [("evaluations (the book's 'epochs')" if evaluations and k == "epochs" else k,
             v if not isinstance(v, list | dict) else str(v)) for k, v in settings.items() if k != "configs"]


def setup_section(exports: Sequence[StudyExport], semantics: Semantics) -> str:
    """The 'what ran' section: the semantics rows (full width), then each study's settings (from its meta)
    and run facts; with more than three studies, one settings card and a table of the studies."""
    top = H.kv_table(list(semantics), title="Semantics (the book's unless marked option)")
    if len(exports) > 3:
        rows = pd.DataFrame([{"study": e.study, "objective": (e.meta.get("spec") or {}).get("objective"),
                              "seed": e.meta.get("seed"), "trials": len(e.trials), "workers": e.meta.get("n_workers"),
                              "wall seconds": e.meta.get("wall_seconds")} for e in exports])
        return (top + H.cards([H.kv_table(_settings_rows(exports[0]), title="Settings of every trial")])
                + H.data_table(rows, table_id="studies"))
    parts = []
    for exp in exports:
        spec = exp.meta.get("spec") or {}
        facts = [("trials", len(exp.trials)), ("objective", spec.get("objective")),
                 ("sampler", exp.meta.get("sampler")), ("workers", exp.meta.get("n_workers")),
                 ("wall seconds", exp.meta.get("wall_seconds"))]
        parts.append(H.kv_table(facts + _settings_rows(exp), title=f"Study {exp.study}"))
    return top + H.cards(parts)


def write_page(out_dir: str | Path, title: str, subtitle: str, sections: list[tuple[str, str, str]],
               plans: Sequence[FigurePlan]) -> Path:
    """Draw `plans` into `<out_dir>/figures`, append them as a Figures section, write `<out_dir>/index.html`."""
    out = Path(out_dir)
    blocks = draw_figures(plans, out / "figures")
    text = H.page(title, [*sections, ("figures", "Figures", H.figures_html(blocks))], subtitle=subtitle,
                  footer="Rendered by reports from study exports.")
    return H.write_page(out, text)
