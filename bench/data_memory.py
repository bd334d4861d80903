"""Memory of a 2-worker study with one shared copy of the data against one copy per worker.

Runs the same short study twice in a subprocess each (an MLP on the full Fashion-MNIST split, 2 workers,
a 45-second budget): once with the shared memory-mapped split (hpsearch's default), once with the cache
folder unwritable, so that every process builds and keeps its own copy (hpsearch's fallback, and what each
worker did before). Samples the launcher and its descendants every second and prints the peak totals of
RSS and PSS (PSS charges a shared page to each process that maps it in equal parts: the honest total).

Run:  python bench/data_memory.py            (needs Fashion-MNIST: apt-get install dataset-fashion-mnist)
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from watch_memory import memory_kib, tree  # noqa: E402

STUDY = """
import sys
from hpsearch import ParamSpec, SearchSpace, StudySpec, run
from hpsearch.objectives.mlp import ObjectiveSettings
settings = ObjectiveSettings(dataset="fashion-mnist", n_samples=None, n_val=10_000, hidden=(256, 128), epochs=50,
                             mode="shuffle", evals_per_epoch=4, eval_val_n=2000, eval_train_n=1000)
space = SearchSpace((ParamSpec("lr", low=1e-3, high=1e-1, log=True),))
spec = StudySpec(name="memory", space=space, settings=settings, n_trials=4, out_dir=sys.argv[1])
run(spec, n_jobs=2, time_budget=45, progress=False)
"""


def measure(cache: str, out: str) -> tuple[float, float, int]:
    env = {**os.environ, "HPSEARCH_CACHE": cache}
    proc = subprocess.Popen([sys.executable, "-c", STUDY, out], env=env)
    peak_rss = peak_pss = 0
    most = 0
    while proc.poll() is None:
        pids = tree(proc.pid)
        mem = [memory_kib(p) for p in pids]
        peak_rss = max(peak_rss, sum(m[0] for m in mem))
        peak_pss = max(peak_pss, sum(m[1] for m in mem))
        most = max(most, len(pids))
        time.sleep(1.0)
    if proc.returncode:
        raise SystemExit(f"the study failed with exit code {proc.returncode}")
    return peak_rss / 1024, peak_pss / 1024, most


def main() -> int:
    import numpy

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, numpy {numpy.__version__}, load {os.getloadavg()[0]:.2f}")
    print("data: Fashion-MNIST split 50,000 x 784 + 10,000 x 784 float32 = 188 MB (179 MiB)")
    with tempfile.TemporaryDirectory() as tmp:
        shared = measure(str(Path(tmp) / "cache"), str(Path(tmp) / "a"))
        blocked = Path(tmp) / "not-a-folder"
        blocked.write_text("the cache cannot be created under a file")
        copies = measure(str(blocked / "cache"), str(Path(tmp) / "b"))
    for label, (rss, pss, n) in (("one shared copy (default)", shared), ("a copy per process", copies)):
        print(f"{label:28s} peak RSS total {rss:6.0f} MiB, peak PSS total {pss:6.0f} MiB ({n} processes)")
    print(f"difference in PSS: {copies[1] - shared[1]:.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
