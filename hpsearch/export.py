"""Export a study to tables: the contract with ``reports`` (documented in docs/hpsearch.md, "Export schema").

``export(study_or_name, storage, out_dir)`` reads everything from the storage (trials, their curves and
results as user attrs, the spec and the runs' environment as study attrs) and returns ``Tables``; unless
``out_dir`` is False it also writes ``trials.csv/.parquet``, ``curves.csv/.parquet`` and ``meta.json``, each
through :func:`safefiles.write_file` (a symbolic link in a file's place is replaced, never followed).

The tables hold the trials that ran (:func:`ran`: a start time or a final state). A slot's trial is created
when a worker claims it, but a stale or budget-stopped trial's slot is re-queued as a fresh WAITING trial
(and a study made before slots were lazy holds every slot up front as a WAITING trial): these are work not
yet done, not results, so they are left out; meta.json says how many slots never ran (``unused_slots`` of
``n_trials``) and how many WAITING rows were left out (``waiting_left_out``), so a page can say "20 of 300
slots ran".
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import optuna
from optuna.trial import FrozenTrial, TrialState

from hpsearch.spec import StudySpec
from hpsearch.storages.opener import open_storage
from hpsearch.storages.urls import redact
from safefiles import own_dir, write_file

__all__ = ["Tables", "export", "TRIAL_COLUMNS", "CURVE_COLUMNS", "META_KEYS", "ran", "trials_table", "curves_table"]

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)

TRIAL_COLUMNS = (
    "study", "number", "slot", "state", "value", "best_val_acc", "diverged", "seconds", "samples",
    "epochs_run", "worker", "seed", "datetime_start", "datetime_complete",
)  # then one param_<name> column per parameter of the space, in space order
CURVE_COLUMNS = ("study", "number", "epoch", "metric", "value")
META_KEYS = (
    "study", "spec", "space", "seed", "seeds", "sampler", "pruner", "direction", "metric", "storage", "versions",
    "machine", "blas", "wall_seconds", "n_workers", "runs", "importance", "parent", "narrowing", "created", "exported",
    "n_trials", "counts", "slots_ran", "unused_slots", "waiting_left_out", "final", "priors", "schedule",
)


@dataclass(frozen=True)
class Tables:
    trials: pd.DataFrame
    curves: pd.DataFrame
    meta: dict[str, Any]


def _iso(d: _dt.datetime | None) -> str | None:
    return d.isoformat() if d is not None else None


def _float(v: Any) -> float:
    return float("nan") if v is None else float(v)


def ran(trial: FrozenTrial) -> bool:
    """True for a trial that ran: it has a start time (RUNNING, or any trial a worker claimed) or a final state
    (COMPLETE, PRUNED, FAIL). A WAITING trial never started: an unused slot, or a slot re-queued after an
    interruption and not yet run again."""
    return trial.datetime_start is not None or trial.state.is_finished()


def _slot_counts(trials: list[FrozenTrial], n_trials: int) -> dict[str, int]:
    """Slots that ran, slots of 0..n_trials-1 that never ran (no trial yet, or only a WAITING one), and the
    WAITING rows left out."""
    slots_ran = {t.user_attrs["slot"] for t in trials if ran(t) and "slot" in t.user_attrs}
    waiting = [t for t in trials if not ran(t)]
    unused = set(range(n_trials)) - slots_ran
    unused |= {f"trial {t.number}" for t in waiting if "slot" not in t.user_attrs}  # not one of hpsearch's slots
    return {"slots_ran": len(slots_ran), "unused_slots": len(unused), "waiting_left_out": len(waiting)}


def trials_table(study_name: str, trials: list[FrozenTrial], param_names: list[str]) -> pd.DataFrame:
    """One row per trial, columns ``TRIAL_COLUMNS`` + ``param_<name>``."""
    import pandas as pd  # here, not at module level: worker processes import hpsearch but never export
    rows = []
    for t in trials:
        res = t.user_attrs.get("result", {})
        value = t.value if t.state in (TrialState.COMPLETE, TrialState.PRUNED) else None
        if value is None and t.state == TrialState.PRUNED and t.intermediate_values:
            value = t.intermediate_values[max(t.intermediate_values)]
        row = {
            "study": study_name,
            "number": t.number,
            "slot": t.user_attrs.get("slot", -1),
            "state": t.state.name,
            "value": _float(value),
            "best_val_acc": _float(res.get("best_val_acc")),
            "diverged": bool(res.get("diverged", False)),
            "seconds": _float(res.get("seconds")),
            "samples": int(res.get("samples", 0)),
            "epochs_run": int(res.get("epochs_run", 0)),
            "worker": str(t.user_attrs.get("worker", "")),
            "seed": int(t.user_attrs.get("seed", -1)),
            "datetime_start": _iso(t.datetime_start),
            "datetime_complete": _iso(t.datetime_complete),
        }
        fixed = t.system_attrs.get("fixed_params", {})
        for name in param_names:
            row[f"param_{name}"] = t.params.get(name, fixed.get(name))
        rows.append(row)
    columns = [*TRIAL_COLUMNS, *(f"param_{n}" for n in param_names)]
    df = pd.DataFrame(rows, columns=columns)
    ints = {"number": "int64", "slot": "int64", "samples": "int64", "epochs_run": "int64", "seed": "int64"}
    return df.astype({**ints, "value": "float64", "best_val_acc": "float64", "seconds": "float64", "diverged": bool})


def curves_table(study_name: str, trials: list[FrozenTrial]) -> pd.DataFrame:
    """Long format: one row per (trial, epoch, metric), columns ``CURVE_COLUMNS``."""
    import pandas as pd
    parts = []
    for t in trials:
        curves = t.user_attrs.get("curves")
        if not curves:
            continue
        for metric, values in curves.items():
            if metric == "step":  # the update index of each evaluation, not a metric
                continue
            vals = [_float(v) for v in values]
            parts.append(
                pd.DataFrame(
                    {
                        "study": study_name,
                        "number": t.number,
                        "epoch": np.arange(len(vals), dtype=np.int64),
                        "metric": metric,
                        "value": np.asarray(vals, dtype=np.float64),
                    }
                )
            )
    if not parts:
        dtypes = ("str", "int64", "int64", "str", "float64")
        return pd.DataFrame({c: pd.Series(dtype=d) for c, d in zip(CURVE_COLUMNS, dtypes, strict=True)})
    return pd.concat(parts, ignore_index=True)[list(CURVE_COLUMNS)]


def _importance(study: optuna.Study) -> dict[str, float]:
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    if len(complete) < 4:
        return {}
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            imp = optuna.importance.get_param_importances(study)
        for w in caught:
            log.info("importance: %s", w.message)
        return {k: float(v) for k, v in imp.items() if math.isfinite(v)}
    except Exception as exc:  # importance is optional metadata: an evaluator failure must not stop an export
        log.info("importance not computed: %s", exc)
        return {}


def _meta(study: optuna.Study, spec: StudySpec, storage: str, counts: dict[str, int], slots: dict[str, int]
          ) -> dict[str, Any]:
    runs = study.user_attrs.get("runs", [])
    last = runs[-1] if runs else {}
    spec_dict = spec.to_dict()
    if spec_dict.get("storage"):
        spec_dict["storage"] = redact(spec_dict["storage"])
    return {
        "study": spec.name,
        "spec": spec_dict,
        "space": spec.space.describe(),
        "seed": spec.seed,
        "seeds": {
            "study": spec.seed,
            "split": getattr(spec.settings, "split_seed", None),
            "train_rule": "SeedSequence([seed, 0, slot]).generate_state(1)[0]",
            "params_rule": "SeedSequence([seed, 1, slot]) (random plan)",
            "sampler_rule": "SeedSequence([seed, 2, worker_index]) (tpe, cmaes)",
        },
        "sampler": spec.sampler,
        "pruner": spec.pruner,
        "direction": study.direction.name.lower(),
        "metric": (study.metric_names or [None])[0],  # what a trial's value is (the objective's metric name)
        "storage": redact(storage),
        "versions": last.get("versions", {}),
        "machine": last.get("machine", {}),
        "blas": last.get("blas", {}),
        "wall_seconds": float(sum(r.get("wall_seconds", 0.0) for r in runs)),
        "n_workers": last.get("n_workers"),
        "runs": runs,
        "importance": _importance(study),
        "parent": spec.parent,
        "narrowing": study.user_attrs.get("narrowing"),
        "created": study.user_attrs.get("created"),
        "exported": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "n_trials": spec.n_trials,
        "counts": counts,
        **slots,
        "final": study.user_attrs.get("final"),
        "priors": study.user_attrs.get("priors"),
        "schedule": study.user_attrs.get("schedule"),
    }


def _write(tables: Tables, out: Path) -> None:
    """Each file written whole, then renamed into place: a symbolic link there is replaced, never followed."""
    out.mkdir(parents=True, exist_ok=True)
    for name in ("trials", "curves"):
        df: pd.DataFrame = getattr(tables, name)
        # CRLF line ends (RFC 4180): the csv writer then quotes any value holding \r or \n, which a reader
        # would otherwise take for the end of a row
        write_file(out / f"{name}.csv", lambda p, df=df: df.to_csv(p, index=False, lineterminator="\r\n"))
        write_file(out / f"{name}.parquet", lambda p, df=df: df.to_parquet(p, index=False))
    write_file(out / "meta.json", json.dumps(tables.meta, indent=2, default=str) + "\n")


def export(
    study_or_name: optuna.Study | str,
    storage: str | None = None,
    out_dir: str | Path | bool | None = None,
) -> Tables:
    """Tables of a study (a ``Study`` or a name in ``storage``): the trials that ran (:func:`ran`), their
    curves, and meta; written to ``out_dir`` (default ``<spec.out_dir>/<name>/export``; ``False`` writes
    nothing)."""
    if isinstance(study_or_name, optuna.Study):
        study = study_or_name
    else:
        if storage is None:
            raise ValueError(f"export: study {study_or_name!r} given by name needs its storage URL or path")
        study = optuna.load_study(study_name=study_or_name, storage=open_storage(storage, create=False))
    stored = study.user_attrs.get("spec")
    if stored is None:
        raise ValueError(f"export: study {study.study_name!r} has no hpsearch spec; was it made by hpsearch run?")
    spec = StudySpec.from_dict({**stored, "storage": stored.get("storage")})
    every = study.get_trials(deepcopy=False)
    counts = {s.name: sum(t.state == s for t in every) for s in TrialState}  # every trial, WAITING included
    trials = [t for t in every if ran(t)]
    tables = Tables(
        trials=trials_table(spec.name, trials, list(spec.space.names)),
        curves=curves_table(spec.name, trials),
        meta=_meta(study, spec, storage or spec.storage_url, counts, _slot_counts(every, spec.n_trials)),
    )
    if out_dir is not False:  # the default export/ folder is hpsearch's own: never a link out of the study
        _write(tables, Path(out_dir) if out_dir else own_dir(spec.run_dir / "export"))
    return tables
