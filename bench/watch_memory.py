"""Watch the memory of a running study: RSS and PSS of a launcher process and all its descendants.

PSS (proportional set size, from /proc/<pid>/smaps_rollup) charges each shared page to the processes that
map it in equal parts, so the PSS total of a study's processes counts a memory-mapped data file once, while
their RSS total counts it once per process that touched it. Linux only.

Run:  python bench/watch_memory.py --pid <launcher pid> [--every 30] [--out memory.csv]
It prints one line per sample (time, load average, processes, RSS total, PSS total, largest PSS) and the
peaks when the launcher exits.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        kids.setdefault(ppid, []).append(int(entry.name))
    return kids


def tree(pid: int) -> list[int]:
    """``pid`` and every descendant, as /proc shows them now."""
    kids, out, todo = _children(), [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += kids.get(p, [])
    return out


def memory_kib(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in KiB; (0, 0) once it is gone."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0, 0
    fields = {line.split(":")[0]: int(line.split()[1]) for line in text.splitlines()[1:] if line.endswith("kB")}
    return fields.get("Rss", 0), fields.get("Pss", 0)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--every", type=float, default=30.0)
    ap.add_argument("--out", default=None, help="also append CSV rows to this file")
    args = ap.parse_args()
    peak_rss = peak_pss = 0
    t0 = time.time()
    out = open(args.out, "a") if args.out else None  # noqa: SIM115
    while os.path.exists(f"/proc/{args.pid}"):
        pids = tree(args.pid)
        mem = [memory_kib(p) for p in pids]
        rss, pss = sum(m[0] for m in mem), sum(m[1] for m in mem)
        peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
        load = os.getloadavg()[0]
        largest = max(m[1] for m in mem) / 1024
        elapsed = time.time() - t0
        row = f"{elapsed:.0f},{load:.2f},{len(pids)},{rss / 1024:.0f},{pss / 1024:.0f},{largest:.0f}"
        print(f"t={elapsed:.0f} s load={load:.2f} processes={len(pids)} RSS={rss / 1024:.0f} MiB "
              f"PSS={pss / 1024:.0f} MiB largest PSS={largest:.0f} MiB", flush=True)
        if out:
            out.write(row + "\n")
            out.flush()
        time.sleep(args.every)
    print(f"peak RSS total {peak_rss / 1024:.0f} MiB, peak PSS total {peak_pss / 1024:.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
