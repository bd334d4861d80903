"""The report of a range-narrowing run: `runs/<name>/index.html` from `runs/<name>/narrowing.json` and the
exports of its round studies (`runs/<name>-r<k>/export/`).

Shows the final pick with its test accuracy, the rounds table, the narrowed ranges in words, which bounds the
best trials pressed against and what hpsearch's step beyond the book gained, the book's Best-20 grid of the
first and of the last round, and score vs each log parameter with every round's box.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from reports import html as H
from reports.book_pages import BOOK
from reports.figures_narrowing import best_k_grid, score_vs_param_rounds
from reports.load import ExportError, StudyExport, load_export
from reports.render import FigurePlan, draw_figures, render
from reports.summaries import top_k

__all__ = ["render_narrowing", "load_narrowing", "rounds_table", "ranges_in_words", "beyond_in_words"]



def load_narrowing(run_dir: str | Path) -> tuple[dict[str, Any], list[StudyExport]]:
    """narrowing.json of `run_dir` and the export of every round (siblings `<runs>/<study>/export`)."""
    run_dir = Path(run_dir)
    path = run_dir / "narrowing.json"
    if not path.is_file():
        raise ExportError(f"{path} is missing: run the narrowing study first (it writes this file)")
    record = json.loads(path.read_text(encoding="utf-8"))
    exports = [load_export(run_dir.parent / str(r["study"]) / "export") for r in record.get("rounds", [])]
    return record, exports


def _box(space: dict[str, Any], name: str) -> tuple[float, float] | None:
    p = space.get(name) or {}
    if p.get("fixed") is not None or p.get("low") is None:
        return None
    return float(p["low"]), float(p["high"])


def _searched(record: dict[str, Any]) -> list[str]:
    first = record["rounds"][0]["space"] if record.get("rounds") else {}
    return [n for n, p in first.items() if p.get("type") != "categorical" and _box(first, n) is not None]


def rounds_table(record: dict[str, Any]) -> pd.DataFrame:
    """One row per round: its study, the box of every searched parameter, trials, best/median, seconds."""
    rows = []
    for r in record.get("rounds", []):
        row: dict[str, Any] = {"round": r["round"], "study": r["study"],
                               "procedure": "beyond the book (hpsearch)" if r.get("beyond_book") else "the book's"}
        for name in _searched(record):
            box = _box(r["space"], name)
            row[name] = f"[{box[0]:.3g}, {box[1]:.3g}]" if box else "fixed"
        row.update({"trials": r["n_trials"], "diverged": r["diverged"], "best": r["best"],
                    "median": r["median"], "seconds": r["seconds"]})
        rows.append(row)
    return pd.DataFrame(rows)


def ranges_in_words(record: dict[str, Any]) -> list[str]:
    """Plain sentences: what each round searched and why the next box is what it is."""
    out = []
    rule = record.get("rule", {})
    for r in record.get("rounds", []):
        boxes = [f"{n} in [{b[0]:.3g}, {b[1]:.3g}]" for n in _searched(record) if (b := _box(r["space"], n))]
        text = f"Round {r['round']} ({r['study']}) searched " + ", ".join(boxes) + "."
        nar = r.get("narrowing")
        if nar:
            details = []
            for name, rec in nar.get("params", {}).items():
                if "top" in rec:
                    pressed = f"; pressed against the {' and '.join(rec['pressed'])} bound" if rec["pressed"] else ""
                    details.append(f"the best {nar['n_top']} trials of {nar['parent']} had {name} in "
                                   f"[{rec['top'][0]:.3g}, {rec['top'][1]:.3g}]{pressed}")
            text += " It was narrowed because " + "; ".join(details) + "." if details else ""
        out.append(text)
    if record.get("stop_reason"):
        widen = (f"widen {rule.get('widen')} x the box past a pressed bound" if rule.get("widen") else
                 "never outside the parent box (the book's procedure)")
        out.append(f"Stopped: {record['stop_reason']}. Rule: {top_text(rule)}, padding {rule.get('padding')} x span "
                   f"(at least {rule.get('min_pad')} x the box), bounds snapped outward to {rule.get('snap', 0)} "
                   f"steps of the box, {widen} (pressed = within {rule.get('press')} x the box), hard limits "
                   f"{rule.get('hard_limits') or 'none'}.")
    return out


def _bounds(pressed: dict[str, list[str]], space: dict[str, Any]) -> str:
    parts = []
    for name, sides in pressed.items():
        box = _box(space, name)
        at = [f"{side} bound" + (f" ({box[0 if side == 'low' else 1]:.3g})" if box else "") for side in sides]
        parts.append(f"{name}'s " + " and ".join(at))
    return "; ".join(parts)


def beyond_in_words(record: dict[str, Any]) -> list[str]:
    """Plain sentences: which bounds the best trials of the book's last round pressed against, and what the
    step beyond the book searched and gained (empty for a record without that information)."""
    beyond = record.get("beyond") or {}
    if not beyond:
        return []
    spaces = {r["study"]: r["space"] for r in record.get("rounds", [])}
    pressed = beyond.get("pressed") or {}
    where = _bounds(pressed, spaces.get(beyond["parent"], {})) if pressed else "no bound of its box"
    out = [f"The book's procedure only narrows inside the book's box. The best {beyond.get('n_top')} trials of "
           f"{beyond['parent']} (its last round) pressed against {where}."]
    if not beyond.get("ran"):
        out.append(f"No step beyond the book: {beyond.get('reason')}.")
        return out
    boxes = [f"{n} [{rec['old'][0]:.3g}, {rec['old'][1]:.3g}] -> [{rec['new'][0]:.3g}, {rec['new'][1]:.3g}]"
             for n, rec in beyond["params"].items()]
    out.append(f"hpsearch's own step beyond the book: study {beyond['study']} searched past the pressed side(s), "
               f"moved out by {beyond['widen']:g} x the width of the first round's box (within the hard limits): "
               + "; ".join(boxes) + ".")
    gain = beyond.get("gain")
    if gain is not None:
        out.append(f"What it gained: best search score {beyond['best']:.3f} beyond the book vs "
                   f"{beyond['book_best']:.3f} in the book's rounds ({gain:+.3f}); median {beyond['median']:.3f}. "
                   "These are single-seed scores "
                   "on the validation split; the final pick below re-trains the best of both on several seeds.")
    chosen = (record.get("final") or {}).get("chosen", {}).get("study")
    if chosen:
        side = "beyond the book" if chosen == beyond["study"] else "inside the book's box"
        out.append(f"The final pick came from {chosen}: {side}.")
    return out


def top_text(rule: dict[str, Any]) -> str:
    """Which trials the rule reads: 'the top 5 trials' or 'the top 10% of the trials'."""
    if rule.get("top_k"):
        return f"the top {rule['top_k']} trials"
    fraction = rule.get("top_fraction")
    return f"the top {float(fraction):.0%} of the trials" if fraction is not None else "the top trials"


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
    for name in _searched(record):
        boxes = {r["round"]: b for r in record["rounds"] if (b := _box(r["space"], name))}
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
