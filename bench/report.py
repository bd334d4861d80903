"""Benchmark: seconds to render the report of a synthetic 10,000-trial study (target: under 20 s).

Builds a synthetic export (reports.synthetic: test/benchmark data, not results), writes it as parquet, then
times `reports.render` on the folder (reading included) and prints the machine, versions and seconds.

    python bench/report.py [--trials 10000] [--epochs 20] [--repeat 1] [--out DIR]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import seaborn as sns

from reports import render, synthetic_export, write_export


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=1, help="render this many times, report each")
    parser.add_argument("--out", type=Path, default=None, help="keep the export and page here")
    args = parser.parse_args(argv)

    print(f"machine: {platform.platform()}, {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, python {platform.python_version()}")
    print(f"versions: numpy {np.__version__}, pandas {pd.__version__}, matplotlib {matplotlib.__version__}, "
          f"seaborn {sns.__version__}")
    with tempfile.TemporaryDirectory() as tmp:
        root = args.out if args.out is not None else Path(tmp)
        t0 = time.perf_counter()
        export = synthetic_export(args.trials, rng=np.random.default_rng(0), n_epochs=args.epochs,
                                  study="bench-synthetic")
        folder = write_export(export, root / "bench-synthetic" / "export")
        print(f"synthetic export: {args.trials} trials, {len(export.curves)} curve rows, "
              f"{time.perf_counter() - t0:.2f} s to build and write")
        for i in range(args.repeat):
            t0 = time.perf_counter()
            index = render(folder)
            seconds = time.perf_counter() - t0
            figures = len(list((index.parent / "figures").glob("*.png")))
            print(f"render #{i + 1}: {seconds:.2f} s for {args.trials} trials "
                  f"({figures} figures, page {index.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
