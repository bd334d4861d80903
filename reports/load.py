"""Read (and, for tests and benchmarks, write) a study export: the only input of `reports`.

The export schema is documented once, in docs/architecture.md ("hpsearch -> reports: the export schema"):
`trials.{parquet,csv}` (one row per trial), `curves.{parquet,csv}` (long format) and `meta.json`.
This module turns such a folder into a `StudyExport`, checks the required columns and normalises dtypes, so
the rest of the package can trust its frames. It also reads the two records built on study exports: a
benchmark's export folder (`load_benchmark` -> `BenchmarkExport`) and a range-narrowing run's
`narrowing.json` with its rounds' exports (`load_narrowing`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from safefiles import write_file

log = logging.getLogger(__name__)

TRIAL_COLUMNS: tuple[str, ...] = (
    "study", "number", "state", "value", "best_val_acc", "diverged", "seconds", "epochs_run",
    "worker", "seed", "datetime_start", "datetime_complete",
)
CURVE_COLUMNS: tuple[str, ...] = ("study", "number", "epoch", "metric", "value")
STATES: tuple[str, ...] = ("COMPLETE", "PRUNED", "FAIL", "RUNNING", "WAITING")
PARAM_PREFIX = "param_"


class ExportError(ValueError):
    """An export folder or frame does not follow the export schema."""


@dataclass(frozen=True)
class StudyExport:
    """One study's exported tables: `trials`, `curves` (possibly empty) and `meta` (possibly empty).

    Build it with `load_export(path)` or `StudyExport.from_frames(trials, curves, meta)`; both validate.
    `source` is the folder it was read from (None when built from frames).
    """

    trials: pd.DataFrame
    curves: pd.DataFrame
    meta: Mapping[str, Any] = field(default_factory=dict)
    source: Path | None = None

    @classmethod
    def from_frames(
        cls,
        trials: pd.DataFrame,
        curves: pd.DataFrame | None = None,
        meta: Mapping[str, Any] | None = None,
        *,
        source: Path | None = None,
    ) -> StudyExport:
        return cls(
            trials=_normalise_trials(trials),
            curves=_normalise_curves(curves),
            meta=dict(meta or {}),
            source=source,
        )

    @property
    def study(self) -> str:
        """The study name: meta["study"], else the trials' `study` column, else "study"."""
        name = self.meta.get("study")
        if name is None and len(self.trials):
            name = self.trials["study"].iloc[0]
        return str(name) if name is not None else "study"

    @property
    def direction(self) -> str:
        """"maximize" or "minimize" (meta["direction"], default "maximize")."""
        direction = str(self.meta.get("direction") or "maximize").lower()
        return "minimize" if direction.startswith("min") else "maximize"

    @property
    def params(self) -> list[str]:
        """Parameter names (the `param_<name>` columns, prefix removed), in column order."""
        return param_names(self.trials)

    def is_log(self, name: str) -> bool:
        """True when meta["space"][name]["log"] is true."""
        space = self.meta.get("space") or {}
        spec = space.get(name) if isinstance(space, Mapping) else None
        return bool(isinstance(spec, Mapping) and spec.get("log"))

    def is_categorical(self, name: str) -> bool:
        """True for a categorical parameter (space type, else a non-numeric column)."""
        space = self.meta.get("space") or {}
        spec = space.get(name) if isinstance(space, Mapping) else None
        if isinstance(spec, Mapping) and spec.get("type"):
            return "categ" in str(spec["type"]).lower()
        return not pd.api.types.is_numeric_dtype(self.trials[PARAM_PREFIX + name])


def param_names(trials: pd.DataFrame) -> list[str]:
    """Parameter names of a trials frame: its `param_<name>` columns without the prefix."""
    return [c[len(PARAM_PREFIX):] for c in trials.columns if str(c).startswith(PARAM_PREFIX)]


def _require(frame: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    for column in columns:
        if column not in frame.columns:
            raise ExportError(f"{what} has no column {column!r} (required by the export schema)")


def _as_bool(series: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(series) and not series.isna().any():
        return series.astype(bool)
    text = series.astype("string").str.strip().str.lower()
    return text.isin(["true", "1", "1.0", "yes"]).astype(bool)


def _normalise_trials(trials: pd.DataFrame) -> pd.DataFrame:
    _require(trials, TRIAL_COLUMNS, "trials")
    out = trials.copy()
    out["number"] = pd.to_numeric(out["number"]).astype(np.int64)
    out["state"] = out["state"].astype("string").fillna("UNKNOWN").str.upper().astype(object)
    for column in ("value", "best_val_acc", "seconds"):
        out[column] = pd.to_numeric(out[column], errors="coerce").astype(float)
    for column in ("epochs_run", "seed"):
        out[column] = pd.to_numeric(out[column], errors="coerce").round().astype("Int64")
    out["diverged"] = _as_bool(out["diverged"])
    out["study"] = out["study"].astype(object)
    out["worker"] = out["worker"].astype(object)
    return out.sort_values("number", kind="stable").reset_index(drop=True)


def _normalise_curves(curves: pd.DataFrame | None) -> pd.DataFrame:
    if curves is None:
        return pd.DataFrame({"study": pd.Series(dtype=object), "number": pd.Series(dtype=np.int64),
                             "epoch": pd.Series(dtype=np.int64), "metric": pd.Series(dtype=object),
                             "value": pd.Series(dtype=float)})
    _require(curves, CURVE_COLUMNS, "curves")
    out = curves.copy()
    out["number"] = pd.to_numeric(out["number"]).astype(np.int64)
    out["epoch"] = pd.to_numeric(out["epoch"]).astype(np.int64)
    out["metric"] = out["metric"].astype(object)
    out["value"] = pd.to_numeric(out["value"], errors="coerce").astype(float)
    return out.sort_values(["number", "metric", "epoch"], kind="stable").reset_index(drop=True)


def _read_table(folder: Path, stem: str) -> pd.DataFrame | None:
    parquet, csv = folder / f"{stem}.parquet", folder / f"{stem}.csv"
    if parquet.exists():
        return pd.read_parquet(parquet)
    if csv.exists():
        return pd.read_csv(csv)
    return None


def load_export(path: str | Path) -> StudyExport:
    """Read an export folder (`runs/<study>/export/`, or `runs/<study>/` holding `export/`).

    trials is required; a missing curves table or meta.json gives an empty one (logged), so a partial
    export still renders. Raises `ExportError` naming the missing file or column.
    """
    folder = Path(path)
    if not (folder / "trials.parquet").exists() and not (folder / "trials.csv").exists():
        if (folder / "export").is_dir():
            folder = folder / "export"
    trials = _read_table(folder, "trials")
    if trials is None:
        raise ExportError(f"no trials.parquet or trials.csv in {folder} (is it an hpsearch export folder?)")
    curves = _read_table(folder, "curves")
    if curves is None:
        log.info("export %s has no curves table", folder)
    meta: dict[str, Any] = {}
    meta_path = folder / "meta.json"
    if meta_path.exists():
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    else:
        log.info("export %s has no meta.json", folder)
    return StudyExport.from_frames(trials, curves, meta, source=folder)


def write_export(export: StudyExport, folder: str | Path, *, fmt: str = "parquet") -> Path:
    """Write `export` as an export folder (trials, curves, meta.json); used for test and benchmark data."""
    if fmt not in ("parquet", "csv"):
        raise ValueError(f"fmt={fmt!r}: use 'parquet' or 'csv'")
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    for stem, frame in (("trials", export.trials), ("curves", export.curves)):
        if fmt == "parquet":
            write_file(out / f"{stem}.parquet", lambda p, f=frame: f.to_parquet(p, index=False))
        else:
            write_file(out / f"{stem}.csv", lambda p, f=frame: f.to_csv(p, index=False))
    write_file(out / "meta.json", json.dumps(dict(export.meta), indent=2, default=str))
    return out


def load_narrowing(run_dir: str | Path) -> tuple[dict[str, Any], list[StudyExport]]:
    """narrowing.json of `run_dir` and the export of every round (siblings `<runs>/<study>/export`)."""
    run_dir = Path(run_dir)
    path = run_dir / "narrowing.json"
    if not path.is_file():
        raise ExportError(f"{path} is missing: run the narrowing study first (it writes this file)")
    record = json.loads(path.read_text(encoding="utf-8"))
    exports = [load_export(run_dir.parent / str(r["study"]) / "export") for r in record.get("rounds", [])]
    return record, exports


BENCHMARK_TABLES = ("trials", "runs", "best_so_far", "final", "time_to_target", "ranking", "profile")


@dataclass(frozen=True)
class BenchmarkExport:
    """The frames of a benchmark export (missing ones empty) and its meta."""

    tables: Mapping[str, pd.DataFrame]
    meta: Mapping[str, Any] = field(default_factory=dict)
    source: Path | None = None

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables.get(name, pd.DataFrame())

    @property
    def reference(self) -> str:
        return str((self.meta.get("benchmark") or {}).get("reference", "random"))

    @property
    def methods(self) -> list[str]:
        return list(dict.fromkeys(self["runs"].get("method", pd.Series(dtype=str))))

    @property
    def tasks(self) -> list[str]:
        return list(dict.fromkeys(self["runs"].get("task", pd.Series(dtype=str))))


def load_benchmark(path: str | Path) -> BenchmarkExport:
    """Read a benchmark export folder; `runs` is required, other tables may be missing."""
    folder = Path(path)
    if not folder.is_dir():
        raise ExportError(f"{folder} is not a folder; give the benchmark's export folder")
    tables = {}
    for name in BENCHMARK_TABLES:
        pq, csv = folder / f"{name}.parquet", folder / f"{name}.csv"
        if pq.is_file():
            tables[name] = pd.read_parquet(pq)
        elif csv.is_file():
            tables[name] = pd.read_csv(csv)
    if "runs" not in tables:
        raise ExportError(f"{folder} has no runs.parquet or runs.csv: not a benchmark export")
    meta_file = folder / "meta.json"
    meta = json.loads(meta_file.read_text(encoding="utf-8")) if meta_file.is_file() else {}
    return BenchmarkExport(tables=tables, meta=meta, source=folder)
