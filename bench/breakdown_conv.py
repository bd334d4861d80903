"""Where the time of netcore's conv-net training steps goes, beside the GEMM-only bound and PyTorch.

For each conv net of bench/core.py (SimpleConvNet, DeepConvNet, the 3x3 BN net), times every phase of netcore's
step inside the training loop (gather, each layer's forward and backward, loss, update; float32, 1 thread),
sums them by kind (conv, batch norm, ReLU, pool, affine, the rest), and sets beside them the matrix products
alone: each conv's and affine layer's im2col-formulation GEMMs (bench/steps.py ``conv_products``) timed on
preallocated whole-layer arrays. Times are CPU seconds of this process (other work on a shared machine
inflates them less than wall time). netcore's conv layers do not run those products: they run the same
arithmetic as GEMMs on the input rows in place, a cache-sized chunk of rows at a time (netcore/conv_rows.py),
plus padding copies and shifted adds, so their time can be below the im2col GEMMs'; the other kinds are
memory-bound elementwise passes over (N, C, H, W) activations.

Run: python bench/breakdown_conv.py [--steps 20] [--nets simple deep cnn]
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict

import numpy as np
from breakdown import step_phases
from steps import CONVNETS, conv_products, data, gemm_products
from threadpoolctl import threadpool_limits
from timing import print_header

KINDS = ("Conv2D", "BatchNorm2D", "Relu", "MaxPool2D", "Affine")


def gemm_ms(mats: list, steps: int) -> list[float]:
    """Milliseconds of each product of ``mats`` (in order), on preallocated arrays, mean over ``steps``."""
    out = []
    for m in mats:
        step = gemm_products([m], np.float32)(0)
        step()
        t0 = time.process_time()
        for _ in range(steps):
            step()
        out.append((time.process_time() - t0) / steps * 1e3)
    return out


def breakdown(name: str, steps: int) -> None:
    net_def = CONVNETS[name]
    rng = np.random.default_rng(0)
    net = net_def.build(rng, np.float32)
    x, t = data(np.float32, 1000, (1, 28, 28), seed=2)
    ph = {k: v / 1e3 for k, v in step_phases(net, net_def.opt, x, t, net_def.batch, rng, steps, 3,
                                                       time.process_time).items()}
    total = sum(ph.values())
    mats = conv_products(net_def)
    gm = gemm_ms(mats, steps)
    conv_gemm = sum(g for (a, _), g in zip(mats, gm, strict=True) if a[0] != net_def.batch and a[1] != net_def.batch)
    bound = sum(gm)
    print(f"\n{net_def.title}, {net_def.opt}, batch {net_def.batch}: {total:.1f} ms per step "
          f"({net_def.batch / total * 1e3:,.0f} samples/s); GEMM-only bound {bound:.1f} ms = {bound / total:.0%}")
    by_kind: dict[str, float] = defaultdict(float)
    for k, v in ph.items():
        kind = next((c for c in KINDS if k.endswith(" " + c)), "gather, loss, update, dropout")
        by_kind[kind] += v
    for kind, v in sorted(by_kind.items(), key=lambda kv: -kv[1]):
        extra = f"   of which the im2col GEMMs {conv_gemm:.1f} ms" if kind == "Conv2D" else ""
        print(f"  {kind:<32} {v:7.1f} ms  {v / total:6.1%}{extra}")
    print("  per layer (forward + backward):")
    per_layer: dict[str, float] = defaultdict(float)
    for k, v in ph.items():
        parts = k.split()
        if parts[0] in ("forward", "backward"):
            per_layer[f"{int(parts[1]):2d} {parts[2]}"] += v
    for k in sorted(per_layer):
        print(f"    {k:<22} {per_layer[k]:7.2f} ms")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=20, help="timed steps per net")
    ap.add_argument("--nets", nargs="+", choices=list(CONVNETS), default=list(CONVNETS))
    args = ap.parse_args(argv)
    with threadpool_limits(1):
        print_header()
        for name in args.nets:
            breakdown(name, args.steps)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
