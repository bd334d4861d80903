"""`render_narrowing(run_dir)`: the page of a range-narrowing run, `runs/<name>/index.html`, from
`runs/<name>/narrowing.json` and the exports of its round studies (`runs/<name>-r<k>/export/`).

Shows the final pick with its test accuracy, the rounds table, the narrowed ranges in words, which bounds the
best trials pressed against and what hpsearch's step beyond the book gained (`reports.data.narrowing`), the
book's Best-20 grid of the first and of the last round, and score vs each log parameter with every round's
box (`reports.figures.narrowing`). The page links to each round's own study page, which it renders first
(`render_rounds`) with the study page's entry point `reports.pages.study.render`: the one page that another
page renders, and it uses nothing else of that module.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from reports.data.narrowing import beyond_in_words, ranges_in_words, rounds_table, search_box, searched_params
from reports.data.study import top_k
from reports.figures.narrowing import best_k_grid, score_vs_param_rounds
from reports.load import StudyExport, load_narrowing
from reports.pages import html as H
from reports.pages.common import BOOK, FigurePlan, draw_figures
from reports.pages.study import render

__all__ = ["render_narrowing"]


def _final_card(final: dict[str, Any]) -> str:
    if not final:
        return "<p>No final pick recorded.</p>"
    chosen = final["chosen"]
    rows = [(f"param {k}", v) for k, v in chosen["params"].items()]
    rows += [("from study", chosen["study"]), ("search score", chosen["search_value"]),
             ("validation mean over seeds", chosen["val_mean"]),
             ("TEST accuracy (mean over seeds)", final["test_mean"]),
             ("test accuracy per seed", ", ".join(f"{v:.3f}" for v in final["test_per_seed"])),
             ("test data", f"the test split of {final.get('dataset')} (never used for selection)")]
    cands = pd.DataFrame([{**{f"param_{k}": v for k, v in c["params"].items()}, "study": c["study"],
                           "search score": c["search_value"], "val mean": c["val_mean"]}
                          for c in final["candidates"]])
    return (H.cards([H.kv_table(rows, title="Final pick", wide=True)])
            + "<h3>Candidates (re-run on the final seeds; chosen by validation mean)</h3>"
            + H.data_table(cands, table_id="cands", sortable=False))


def _plans(record: dict[str, Any], exports: list[StudyExport]) -> list[FigurePlan]:
    plans = []
    firsts = [(1, exports[0])] + ([(len(exports), exports[-1])] if len(exports) > 1 else [])
    for r, exp in firsts:
        top = top_k(exp.trials, 20, exp.direction)
        plans.append(FigurePlan(f"best20_r{r}", f"Best-20 of round {r} ({exp.study})",
                                f"As the book's figure 6-24 ({BOOK}, section 6.5): validation accuracy solid, "
                                "training accuracy dashed (key under the grid); diverged runs red.",
                                lambda exp=exp, top=top: best_k_grid(top, exp.curves), wide=True))
    frames = [e.trials.assign(round=r["round"]) for r, e in zip(record["rounds"], exports, strict=True)]
    trials = pd.concat(frames, ignore_index=True)
    for name in searched_params(record):
        boxes = {r["round"]: b for r in record["rounds"] if (b := search_box(r["space"], name))}
        is_log = bool(record["rounds"][0]["space"][name].get("log"))
        plans.append(FigurePlan(f"score_vs_{name}", f"Final score vs {name}, every round",
                                "Each round's search box shaded in its colour; diverged trials as red crosses.",
                                lambda name=name, boxes=boxes, lg=is_log: score_vs_param_rounds(
                                    trials, boxes, name, log=lg)))
    return plans


def render_narrowing(run_dir: str | Path, *, render_rounds: bool = True) -> Path:
    """Write `<run_dir>/index.html` (+ figures/) for a narrowing run and, if asked, each round's own page."""
    run_dir = Path(run_dir)
    record, exports = load_narrowing(run_dir)
    if render_rounds:
        for exp in exports:
            render(exp)
    blocks = draw_figures(_plans(record, exports), run_dir / "figures")
    links = "".join(f'<li><a href="../{H.esc(e.study)}/index.html">{H.esc(e.study)}</a></li>' for e in exports)
    words = "".join(f"<p>{H.esc(s)}</p>" for s in ranges_in_words(record))
    sections = [
        ("final", "Final pick", _final_card(record.get("final", {}))),
        ("rounds", "Rounds", H.data_table(rounds_table(record), table_id="rounds") + words
         + f"<p>Each round's own report:</p><ul>{links}</ul>"),
        ("beyond", "Pressed bounds, and beyond the book",
         "".join(f"<p>{H.esc(s)}</p>" for s in beyond_in_words(record)) or "<p>Not recorded.</p>"),
        ("figures", "Figures", H.figures_html(blocks)),
    ]
    text = H.page(f"Range narrowing {record.get('name')}", sections,
                  subtitle=f"{BOOK}, section 6.5 (figure 6-24): {len(exports)} round(s); "
                           f"{record.get('stop_reason', '')}",
                  footer="Rendered by reports from narrowing.json and the rounds' exports.")
    return H.write_page(run_dir, text)
