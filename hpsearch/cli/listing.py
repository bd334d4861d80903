"""What a storage holds: one summary per study (trials per state, direction, best value), for ``hpsearch ls``.

``journals(runs_dir)`` finds the default journal of every study folder ``<runs>/<study>/journal.log``;
``summaries(storage)`` reads every study of one storage (a journal file or a database URL).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import optuna

from hpsearch.storages.opener import open_storage
from hpsearch.storages.urls import redact
from hpsearch.study import PART_OF, state_counts

__all__ = ["StudySummary", "journals", "summaries", "table"]


@dataclass(frozen=True)
class StudySummary:
    name: str
    storage: str
    finished: int  # COMPLETE + PRUNED
    slots: int | None  # the spec's n_trials (None: not an hpsearch study)
    counts: dict[str, int]
    direction: str
    best: float | None  # Optuna's best value, in the study's direction
    best_trial: int | None
    part_of: str | None = None  # a helper study of this experiment (user attribute PART_OF)


def journals(runs_dir: str | Path) -> list[Path]:
    """The journal files ``<runs_dir>/*/journal.log``, sorted by folder name."""
    return sorted(p for p in Path(runs_dir).glob("*/journal.log") if p.is_file())


def _summary(study: optuna.Study, storage: str) -> StudySummary:
    counts = {k: v for k, v in state_counts(study).items() if v}
    complete = counts.get("COMPLETE", 0) > 0
    spec = study.user_attrs.get("spec") or {}
    return StudySummary(
        name=study.study_name, storage=storage,
        finished=counts.get("COMPLETE", 0) + counts.get("PRUNED", 0),
        slots=spec.get("n_trials"), counts=counts, direction=study.direction.name.lower(),
        best=study.best_value if complete else None, best_trial=study.best_trial.number if complete else None,
        part_of=study.user_attrs.get(PART_OF) if isinstance(study.user_attrs.get(PART_OF), str) else None,
    )


def summaries(storage: str) -> list[StudySummary]:
    """One summary per study of ``storage``, sorted by name (raises StorageError when it cannot be opened)."""
    opened = open_storage(storage, create=False)
    names = sorted(optuna.get_all_study_names(storage=opened))
    return [_summary(optuna.load_study(study_name=n, storage=opened), storage) for n in names]


def table(rows: list[StudySummary], *, helpers: bool = True) -> list[str]:
    """Aligned text lines, one per study: name, finished/slots, direction, best value, states, storage. A
    helper study (part of an experiment) is marked as such; ``helpers=False`` leaves helpers out and ends with
    one line counting them."""
    shown = [s for s in rows if helpers or s.part_of is None]
    width = max((len(s.name) for s in shown), default=0)
    lines = []
    for s in shown:
        done = f"{s.finished}/{s.slots}" if s.slots is not None else str(s.finished)
        best = "-" if s.best is None else f"{s.best:.4f} (trial {s.best_trial})"
        counts = ", ".join(f"{k.lower()} {v}" for k, v in s.counts.items())
        what = f"helper of {s.part_of}" if s.part_of else f"best {best}"
        lines.append(f"{s.name:<{width}}  {done:>9} finished  {s.direction:<8}  {what}  [{counts}]  "
                     f"{redact(s.storage)}")
    hidden = sorted({s.part_of for s in rows if s not in shown})
    if hidden:
        n = len(rows) - len(shown)
        lines.append(f"(and {n} helper stud{'y' if n == 1 else 'ies'} of {', '.join(hidden)}: hpsearch ls --all "
                     "lists them)")
    return lines
