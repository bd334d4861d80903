"""A range-narrowing run's record (`runs/<name>/narrowing.json`, read by `reports.load.load_narrowing`) in
tables and words, pure python/pandas: the rounds table, the narrowed ranges in words, which bounds the best
trials pressed against and what hpsearch's step beyond the book gained. The page is `reports.pages.narrowing`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["beyond_in_words", "ranges_in_words", "rounds_table", "search_box", "searched_params", "top_text"]


def search_box(space: dict[str, Any], name: str) -> tuple[float, float] | None:
    """(low, high) of parameter `name` in a round's `space`; None when it is fixed or has no range."""
    p = space.get(name) or {}
    if p.get("fixed") is not None or p.get("low") is None:
        return None
    return float(p["low"]), float(p["high"])


def searched_params(record: dict[str, Any]) -> list[str]:
    """The parameters the first round searched over a range (not categorical, not fixed)."""
    first = record["rounds"][0]["space"] if record.get("rounds") else {}
    return [n for n, p in first.items() if p.get("type") != "categorical" and search_box(first, n) is not None]


def rounds_table(record: dict[str, Any]) -> pd.DataFrame:
    """One row per round: its study, the box of every searched parameter, trials, best/median, seconds."""
    rows = []
    for r in record.get("rounds", []):
        row: dict[str, Any] = {"round": r["round"], "study": r["study"],
                               "procedure": "beyond the book (hpsearch)" if r.get("beyond_book") else "the book's"}
        for name in searched_params(record):
            box = search_box(r["space"], name)
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
        boxes = [f"{n} in [{b[0]:.3g}, {b[1]:.3g}]" for n in searched_params(record)
                 if (b := search_box(r["space"], n))]
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
        box = search_box(space, name)
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
