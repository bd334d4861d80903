"""Range narrowing in rounds: the book's section 6.5 procedure, automated and auditable.

Round 1 runs ``spec`` as study ``<name>-r1``. After each round the pure :func:`hpsearch.narrowing.rule.narrow` turns
(the round's space, its finished trials, the rule) into the next round's space, which runs as a NEW study
``<name>-r<r+1>`` whose spec names its parent; the narrowing record (rule, old and new boxes) is stored in the
child study's user attributes. Samplers therefore never see a space change under their feet, and re-running
the procedure resumes each round's study and recomputes the same spaces from the same trials.

Stops on the round limit, when every searched log parameter's box is narrower than ``min_width`` decades, or
when the best score has not improved by more than ``min_improvement`` for ``patience`` rounds.

Beyond the book (``beyond`` > 0, hpsearch's own step): the book's rounds only ever narrow inside the book's
box. When the best trials of the last round press against a side of its box, one more study
``<name>-beyond`` searches that box with each pressed side moved outward by ``beyond`` times the width of the
first round's box (:func:`hpsearch.narrowing.rule.widen_past`, within the rule's hard limits); the record says what
it gained over the book's rounds (``NarrowingResult.beyond``).

Then the final pick (:func:`hpsearch.final.final_pick`, in the objective's direction): the ``final_top`` best
trials over all studies are re-trained on ``final_seeds`` seeds and the best mean VALIDATION score wins; only
that configuration is then scored on the TEST split, once per seed — data no selection step ever saw.
"""

from __future__ import annotations

import json
import logging
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import TrialState

from hpsearch.execution.launch import run
from hpsearch.final import final_pick
from hpsearch.narrowing.rule import NarrowRule, Outcome, box_width, narrow, widen_past
from hpsearch.samplers.seeds import derive_seed
from hpsearch.spec import StudySpec
from safefiles import write_file

__all__ = ["NarrowingResult", "run_narrowing", "outcomes", "round_name", "beyond_name"]

log = logging.getLogger(__name__)

_FINAL_PURPOSE = 7  # derive_seed purpose of the final re-runs (distinct from training/plans/samplers)


def round_name(name: str, r: int) -> str:
    return f"{name}-r{r}"


def beyond_name(name: str) -> str:
    """The study of the step beyond the book (past the pressed bounds)."""
    return f"{name}-beyond"


@dataclass
class NarrowingResult:
    name: str
    rounds: list[dict[str, Any]] = field(default_factory=list)
    stop_reason: str = ""
    final: dict[str, Any] = field(default_factory=dict)
    rule: dict[str, Any] = field(default_factory=dict)
    beyond: dict[str, Any] = field(default_factory=dict)  # the last round's pressed sides and the step past them

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "rounds": self.rounds, "stop_reason": self.stop_reason, "final": self.final,
                "rule": self.rule, "beyond": self.beyond}


def outcomes(study: optuna.Study) -> list[Outcome]:
    """The finished (COMPLETE) trials of a study as narrowing sees them."""
    out = []
    for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        diverged = bool(t.user_attrs.get("result", {}).get("diverged", False))
        out.append(Outcome(dict(t.params), float(t.value), diverged))
    return out


def _sign(study: optuna.Study) -> float:
    """1 when the study maximizes, -1 when it minimizes: ``sign * value`` is larger when better."""
    return 1.0 if study.direction == optuna.study.StudyDirection.MAXIMIZE else -1.0


def _best(values: list[float], sign: float) -> float | None:
    return max(values, key=lambda v: sign * v) if values else None


def _round_summary(r: int, spec: StudySpec, study: optuna.Study, seconds: float, record: dict | None
                   ) -> dict[str, Any]:
    outs = outcomes(study)
    values = [o.value for o in outs if not o.diverged]
    return {
        "round": r,
        "study": spec.name,
        "parent": spec.parent,
        "space": spec.space.describe(),
        "n_trials": len(outs),
        "diverged": sum(o.diverged for o in outs),
        "best": _best(values, _sign(study)),  # in the study's direction
        "median": statistics.median(values) if values else None,
        "seconds": seconds,
        "narrowing": record,
    }


def _widths_below(spec: StudySpec, min_width: float) -> bool:
    logs = [p.name for p in spec.space.params if p.log and not p.is_fixed and p.kind != "categorical"]
    return bool(logs) and all(box_width(spec.space, n) < min_width for n in logs)


def _beyond_the_book(spec: StudySpec, last: StudySpec, study: optuna.Study, rule: NarrowRule, widen: float,
                     result: NarrowingResult, *, n_jobs: int | None, progress: bool,
                     later: Callable[[StudySpec], StudySpec] | None, phase: Callable[[str], None]
                     ) -> tuple[StudySpec, optuna.Study] | None:
    """hpsearch's step beyond the book: search past the sides of the last round's box that its best trials
    press against (see the module doc); records those sides, and what the step gained, in ``result.beyond``."""
    _, rec = narrow(last.space, outcomes(study), rule, direction=study.direction.name)
    pressed = {n: p["pressed"] for n, p in rec["params"].items() if p.get("pressed")}
    info: dict[str, Any] = {"widen": widen, "parent": last.name, "n_top": rec["n_top"], "pressed": pressed}
    if widen <= 0:
        result.beyond = {**info, "ran": False, "reason": "no step beyond the book was asked for (widen 0)"}
        return None
    space, widened = widen_past(last.space, pressed, spec.space, widen=widen, hard_limits=rule.hard_limits)
    if not widened or space == last.space:
        why = "pressed against no bound" if not pressed else "pressed only against the hard limits"
        result.beyond = {**info, "ran": False, "reason": f"the best trials of {last.name} {why}"}
        return None
    nxt = spec.replace(name=beyond_name(spec.name), space=space, parent=last.name,
                       seed=derive_seed(spec.seed, _FINAL_PURPOSE + 2, 0))
    nxt = later(nxt) if later is not None else nxt
    phase(f"beyond the book: {nxt.n_trials} trials of {nxt.name} past the pressed bound(s)")
    t0 = time.perf_counter()
    beyond_study = run(nxt, n_jobs=n_jobs, progress=progress)
    record = {"rule": rule.to_dict(), "n_top": rec["n_top"], "parent": last.name, "round": len(result.rounds) + 1,
              "beyond_book": True, "widen": widen, "params": widened}
    beyond_study.set_user_attr("narrowing", record)
    summary = _round_summary(record["round"], nxt, beyond_study, time.perf_counter() - t0, record)
    result.rounds.append({**summary, "beyond_book": True})
    book = [r["best"] for r in result.rounds[:-1] if r["best"] is not None]
    sign = _sign(beyond_study)
    book_best = _best(book, sign)
    # what the step gained, in the study's direction (positive: better than the book's rounds)
    gain = sign * (summary["best"] - book_best) if summary["best"] is not None and book_best is not None else None
    result.beyond = {**info, "ran": True, "study": nxt.name, "params": widened, "best": summary["best"],
                     "median": summary["median"], "book_best": book_best, "gain": gain}
    return nxt, beyond_study


def run_narrowing(
    spec: StudySpec,
    *,
    rounds: int = 3,
    rule: NarrowRule | None = None,
    n_jobs: int | None = None,
    progress: bool = True,
    min_width: float = 0.25,
    min_improvement: float = 0.0,
    patience: int = 1,
    later: Callable[[StudySpec], StudySpec] | None = None,
    final_top: int = 3,
    final_seeds: int = 3,
    beyond: float = 0.0,
    on_phase: Callable[[str], None] | None = None,
) -> NarrowingResult:
    """Run the narrowing rounds of ``spec`` (round 1 = ``spec`` itself), the step beyond the book when
    ``beyond`` > 0, and the final pick; see the module doc.

    ``later(spec) -> spec`` may change rounds 2.. (e.g. another sampler or pruner). ``on_phase(text)`` hears
    each phase as it starts (a round, the step beyond the book, each re-training of the final pick). Writes
    ``<out_dir>/<name>/narrowing.json`` and returns the same content.
    """
    phase = on_phase or (lambda text: log.info("narrowing %s: %s", spec.name, text))
    if isinstance(rounds, bool) or not isinstance(rounds, int) or rounds < 1:
        raise ValueError(f"rounds={rounds!r} is invalid; give an integer >= 1")
    if isinstance(patience, bool) or not isinstance(patience, int) or patience < 1:
        raise ValueError(f"patience={patience!r} is invalid; give an integer >= 1")
    rule = rule or NarrowRule()
    result = NarrowingResult(spec.name, rule=rule.to_dict())
    specs: list[StudySpec] = []
    studies: list[optuna.Study] = []
    current = spec.replace(name=round_name(spec.name, 1), parent=None)
    record: dict[str, Any] | None = None
    best_so_far, stale_rounds = None, 0
    for r in range(1, rounds + 1):
        t0 = time.perf_counter()
        phase(f"round {r}/{rounds}: {current.n_trials} trials of {current.name}")
        study = run(current, n_jobs=n_jobs, progress=progress)
        if record is not None:
            study.set_user_attr("narrowing", record)
        summary = _round_summary(r, current, study, time.perf_counter() - t0, record)
        result.rounds.append(summary)
        specs.append(current)
        studies.append(study)
        log.info("narrowing %s round %d: best %s", spec.name, r, summary["best"])
        sign = _sign(study)
        best = summary["best"]
        improved = best is not None and (best_so_far is None or sign * (best - best_so_far) > min_improvement)
        stale_rounds = stale_rounds + 1 if r > 1 and not improved else 0
        if best is not None and (best_so_far is None or sign * (best - best_so_far) > 0):
            best_so_far = best
        if r == rounds:
            result.stop_reason = f"round limit ({rounds})"
            break
        if stale_rounds >= patience:
            result.stop_reason = f"no improvement for {stale_rounds} round(s)"
            break
        new_space, rec = narrow(current.space, outcomes(study), rule, direction=study.direction.name)
        record = {**rec, "parent": current.name, "round": r + 1}
        nxt = spec.replace(name=round_name(spec.name, r + 1), space=new_space, parent=current.name,
                           seed=derive_seed(spec.seed, _FINAL_PURPOSE + 1, r))
        current = later(nxt) if later is not None else nxt
        if _widths_below(current, min_width):
            result.stop_reason = f"boxes narrower than {min_width} decades"
            break
    step = _beyond_the_book(spec, specs[-1], studies[-1], rule, beyond, result, n_jobs=n_jobs,
                            progress=progress, later=later, phase=phase)
    if step is not None:
        specs.append(step[0])
        studies.append(step[1])
    seeds = [derive_seed(spec.seed, _FINAL_PURPOSE, k) for k in range(final_seeds)]
    # one BLAS thread (final_pick's default): small matrices run fastest that way (see bench/core.py)
    result.final = final_pick(studies, specs, retrain="train", top=final_top, seeds=seeds, on_phase=phase)
    out = Path(spec.out_dir) / spec.name
    out.mkdir(parents=True, exist_ok=True)
    write_file(out / "narrowing.json", json.dumps(result.to_dict(), indent=2, default=str))
    return result
