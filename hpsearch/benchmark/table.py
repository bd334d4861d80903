"""The tabular benchmark: full learning curves of every grid cell, computed once, stored compactly, looked up.

``build_table(defn, out_dir=..., n_jobs=k)`` runs one ``grid`` study per replicate (study seed = replicate
index, so replicate r of slot k trains with ``train_seed(r, k)``; study names carry a fingerprint of the
grid) through :func:`hpsearch.run` on k parallel workers, with the ``table-mlp`` objective: the registered
``mlp`` training, then one score on the TEST split.
The exports become arrays saved in one ``.npz`` (no pickle; the definition and provenance as JSON text):

* ``val_acc`` float32 [lr, weight_decay, optimizer, init_scale, replicate, epoch] (NaN after divergence),
* ``test_acc``, ``seconds`` float32, ``epochs_run`` int16, ``diverged`` bool, ``seed`` int64
  [lr, weight_decay, optimizer, init_scale, replicate].

Off-grid rule (:meth:`Table.cell`): each numeric parameter snaps to the nearest grid value in log10 units
(values outside the grid snap to its edge; an exact tie goes to the lower value); categorical values must
match a grid value exactly; a parameter the space does not have takes the objective's default (optimizer sgd,
init scale 1), which must then be on the grid.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from hpsearch.benchmark.tasks import AXES, LOG_AXES, TableDef
from hpsearch.environment import machine, versions
from hpsearch.objectives.mlp import PARAM_NAMES, ObjectiveSettings, evaluate_on_test
from hpsearch.objectives.registry import Objective, register
from hpsearch.objectives.training import TrialResult

__all__ = ["Table", "build_table", "load_or_build", "table_path", "evaluate_with_test", "DEFAULTS"]

DEFAULTS = {"optimizer": "sgd", "init_scale": 1.0}  # the objective's values for parameters a space lacks
CELL_ARRAYS = ("test_acc", "seconds", "epochs_run", "diverged", "seed")


def evaluate_with_test(params: Mapping[str, Any], settings: ObjectiveSettings, *, seed: int,
                       on_epoch: object = None) -> TrialResult:
    """The ``mlp`` trial, then one score on the test split, stored as the curve ``test_acc`` (NaN at every
    epoch but the last). ``on_epoch`` is ignored: grid studies run without a pruner."""
    res, test = evaluate_on_test(params, settings, seed=seed)
    n = max(len(res.curves.get("val_acc", [])), 1)
    return replace(res, curves={**res.curves, "test_acc": [math.nan] * (n - 1) + [test]})


register(Objective("table-mlp", ObjectiveSettings, evaluate_with_test, PARAM_NAMES, required=("lr",),
                   metric="val_acc"))


@dataclass(frozen=True)
class Table:
    """A built grid: ``defn`` (axes, settings, replicates), the arrays, and ``meta`` (provenance)."""

    defn: TableDef
    val_acc: np.ndarray
    test_acc: np.ndarray
    seconds: np.ndarray
    epochs_run: np.ndarray
    diverged: np.ndarray
    seed: np.ndarray
    meta: dict[str, Any]

    @property
    def epochs(self) -> int:
        return int(self.val_acc.shape[-1])

    @property
    def replicates(self) -> int:
        return int(self.val_acc.shape[-2])

    def cell(self, params: Mapping[str, Any]) -> tuple[int, ...]:
        """Grid indices (lr, weight_decay, optimizer, init_scale) of ``params`` under the off-grid rule."""
        index = []
        for name in AXES:
            axis = getattr(self.defn, name)
            value = params.get(name, DEFAULTS.get(name))
            if value is None:
                raise ValueError(f"table {self.defn.name}: no value for {name!r}; put it in the task's space")
            if name in LOG_AXES:
                if not float(value) > 0:
                    raise ValueError(f"table {self.defn.name}: {name}={value!r} cannot snap in log10 units")
                dist = np.abs(np.log10(np.asarray(axis, dtype=float)) - math.log10(float(value)))
                index.append(int(np.argmin(dist)))
            else:
                if value not in axis:
                    raise ValueError(f"table {self.defn.name}: {name}={value!r} is not on the grid {list(axis)}")
                index.append(axis.index(value))
        return tuple(index)

    def cell_params(self, cell: tuple[int, ...]) -> dict[str, Any]:
        return {name: getattr(self.defn, name)[i] for name, i in zip(AXES, cell, strict=True)}

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        header = json.dumps({"defn": self.defn.to_dict(), "meta": self.meta}, default=str)
        tmp = path.with_suffix(".tmp.npz")
        np.savez_compressed(tmp, header=np.array(header), val_acc=self.val_acc,
                            **{k: getattr(self, k) for k in CELL_ARRAYS})
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: str | Path) -> Table:
        with np.load(Path(path), allow_pickle=False) as z:
            header = json.loads(str(z["header"]))
            arrays = {k: z[k] for k in ("val_acc", *CELL_ARRAYS)}
        return cls(defn=TableDef.from_dict(header["defn"]), meta=header["meta"], **arrays)


def fingerprint(defn: TableDef) -> str:
    """8 hex digits of the definition's SHA-256: a changed grid never resumes another grid's studies."""
    text = json.dumps(defn.to_dict(), sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


def table_path(defn: TableDef, out_dir: str | Path) -> Path:
    return Path(out_dir) / f"table-{defn.name}.npz"


def _fill(defn: TableDef, r: int, trials: Any, curves: Any, arrays: dict[str, np.ndarray]) -> None:
    lookup = {name: {v: i for i, v in enumerate(getattr(defn, name))} for name in AXES}
    val = curves.loc[curves["metric"] == "val_acc"]
    test = curves.loc[curves["metric"] == "test_acc"].dropna(subset=["value"])
    val_by = {n: g.sort_values("epoch")["value"].to_numpy() for n, g in val.groupby("number")}
    test_by = dict(zip(test["number"], test["value"], strict=True))
    done = trials.loc[trials["state"] == "COMPLETE"]
    for row in done.itertuples(index=False):
        cell = tuple(lookup[name][getattr(row, f"param_{name}")] for name in AXES) + (r,)
        curve = val_by.get(row.number, np.empty(0))
        arrays["val_acc"][cell + (slice(0, len(curve)),)] = curve
        arrays["test_acc"][cell] = test_by.get(row.number, np.nan)
        arrays["seconds"][cell] = row.seconds
        arrays["epochs_run"][cell] = row.epochs_run
        arrays["diverged"][cell] = row.diverged
        arrays["seed"][cell] = row.seed


def build_table(defn: TableDef, *, out_dir: str | Path, n_jobs: int | None = None, progress: bool = False
                ) -> Table:
    """Run the grid (one study per replicate, resumable) and collect it into a :class:`Table`, saved to
    :func:`table_path`. The studies' journals live in ``out_dir/table-<name>-<fingerprint>-r<replicate>/``."""
    from hpsearch.execution.launch import run
    from hpsearch.export import export
    from hpsearch.spec import StudySpec

    shape = (*defn.shape, defn.replicates)
    epochs = defn.settings.epochs
    arrays = {
        "val_acc": np.full((*shape, epochs), np.nan, dtype=np.float32),
        "test_acc": np.full(shape, np.nan, dtype=np.float32),
        "seconds": np.full(shape, np.nan, dtype=np.float32),
        "epochs_run": np.zeros(shape, dtype=np.int16),
        "diverged": np.zeros(shape, dtype=bool),
        "seed": np.full(shape, -1, dtype=np.int64),
    }
    wall = 0.0
    studies = []
    load_start = os.getloadavg()
    for r in range(defn.replicates):
        spec = StudySpec(name=f"table-{defn.name}-{fingerprint(defn)}-r{r}", space=defn.grid_space(),
                         objective="table-mlp", settings=defn.settings, n_trials=defn.n_cells, sampler="grid", seed=r,
                         out_dir=str(out_dir))
        study = run(spec, n_jobs=n_jobs, progress=progress)
        tables = export(study, out_dir=False)
        _fill(defn, r, tables.trials, tables.curves, arrays)
        wall += float(tables.meta.get("wall_seconds") or 0.0)
        studies.append(spec.name)
    missing = int((arrays["epochs_run"] == 0).sum())
    if missing:
        raise RuntimeError(f"table {defn.name}: {missing} cell(s) have no finished trial; run it again to resume")
    meta = {
        "studies": studies, "wall_seconds": wall, "trials": int(np.prod(shape)),
        "built": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"), "machine": machine(),
        "versions": versions(), "n_jobs": n_jobs,
        "load_average": {"start": list(load_start), "end": list(os.getloadavg())},
        "seed_rule": "replicate r = grid study of seed r: slot k trains with SeedSequence([r, 0, k])",
        "off_grid_rule": "each numeric parameter snaps to the nearest grid value in log10 units (outside the "
                         "grid: its edge; exact ties: the lower value); categorical values match exactly",
    }
    table = Table(defn=defn, meta=meta, **arrays)
    table.save(table_path(defn, out_dir))
    return table


def load_or_build(defn: TableDef, *, out_dir: str | Path, n_jobs: int | None = None, progress: bool = False
                  ) -> Table:
    """The cached table of ``defn`` under ``out_dir`` if it was built from the same definition; else build it."""
    path = table_path(defn, out_dir)
    if path.is_file():
        table = Table.load(path)
        if table.defn == defn:
            return table
    return build_table(defn, out_dir=out_dir, n_jobs=n_jobs, progress=progress)
