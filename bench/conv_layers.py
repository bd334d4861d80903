"""Each conv layer of bench/core.py's three nets alone: netcore's forward, weight gradient and input gradient
beside PyTorch's forward and forward + backward, in ms and GFLOP/s (float32, one thread, batch as in core.py).

netcore's layers run on (H, C, W, N) memory (netcore/conv_rows.py); the "GEMM rate" is the layer's useful
arithmetic (2*N*OH*OW*FN*C*FH*FW per product) over its time, copies and adds included. PyTorch (oneDNN direct
convolutions) is timed when installed (``pip install torch==2.13.0``; not a project dependency); a first
layer's input gradient is not needed in a network and not timed on either side. Each time is the best of
``--repeats`` calls, the two sides alternating layer by layer in one process. "GEMMs" is the time of the
matrix products netcore's layer issues (forward and backward), timed inside the layer: the ceiling of this
formulation, were every copy, add and pad free.

Run: python bench/conv_layers.py [--repeats 20]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from steps import CONVNETS
from threadpoolctl import threadpool_limits
from timing import print_header

import netcore.blas
import netcore.conv_rows
from netcore.conv import Conv2D
from netcore.hcwn import from_hcwn

try:
    import torch
except ImportError:  # the comparison is optional
    torch = None


def best_ms(f, repeats: int) -> float:
    f()
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t0)
    return best * 1e3


def conv_shapes(name: str) -> list[tuple[Conv2D, tuple[int, int, int, int], bool]]:
    """(layer, input shape, first layer?) of every Conv2D of one of core.py's nets, by a shape probe."""
    net_def = CONVNETS[name]
    net = net_def.build(np.random.default_rng(0), np.float32)
    x = np.zeros((net_def.batch, 1, 28, 28), np.float32)
    found = []
    for i, layer in enumerate(net.layers):
        if isinstance(layer, Conv2D):
            found.append((layer, x.shape, i == 0))
        x = layer.forward(x, train=True)
    return found


class Timed:
    """Stands in for NumPy or netcore.blas inside netcore.conv_rows: adds the time of its ``matmul`` calls and
    direct BLAS products (the GEMMs the layer issues, on its own operands, in its own cache state) to the
    shared ``clock`` (a one-element list), passes everything else through."""

    def __init__(self, module, clock: list[float]) -> None:
        self._module, self._clock = module, clock

    def __getattr__(self, name: str):
        return getattr(self._module, name)

    def _timed(self, f):
        def call(*args, **kwargs):
            t0 = time.perf_counter()
            out = f(*args, **kwargs)
            self._clock[0] += time.perf_counter() - t0
            return out

        return call

    def matmul(self, *args, **kwargs):
        return self._timed(np.matmul)(*args, **kwargs)

    def raw_gemm_add(self, dtype):
        return self._timed(netcore.blas.raw_gemm_add(dtype))


def gemm_share(layer: Conv2D, x: np.ndarray, dout: np.ndarray, first: bool, repeats: int) -> float:
    """ms of the GEMMs alone in one forward + backward of ``layer`` (the best call of ``repeats``)."""
    best, clock = float("inf"), [0.0]
    netcore.conv_rows.np, netcore.conv_rows.blas = Timed(np, clock), Timed(netcore.blas, clock)
    try:
        layer.need_input_grad = not first
        for _ in range(repeats + 1):
            clock[0] = 0.0
            layer.forward(x, train=True)
            layer.backward(dout)
            best = min(best, clock[0])
    finally:
        netcore.conv_rows.np, netcore.conv_rows.blas = np, netcore.blas
        layer.need_input_grad = True
    return best * 1e3


def netcore_times(layer: Conv2D, shape: tuple, first: bool, repeats: int, rng) -> tuple[float, ...]:
    """(forward, weight gradient, input gradient, their GEMMs alone) ms of ``layer`` on (H, C, W, N) memory,
    as in a network, and its output positions OH*OW."""
    n, c, h, w = shape
    x = from_hcwn(rng.standard_normal((h, c, w, n), dtype=np.float32))
    out = layer.forward(x, train=True)
    oh, ow = out.shape[2], out.shape[3]
    dout = from_hcwn(rng.standard_normal((oh, out.shape[1], ow, n), dtype=np.float32))
    fwd = best_ms(lambda: layer.forward(x, train=True), repeats)
    layer.need_input_grad = False
    dw = best_ms(lambda: layer.backward(dout), repeats)
    layer.need_input_grad = True
    dx = 0.0 if first else best_ms(lambda: layer.backward(dout), repeats) - dw
    return fwd, dw, dx, gemm_share(layer, x, dout, first, repeats), oh * ow


def torch_times(layer: Conv2D, shape: tuple, first: bool, repeats: int) -> tuple[float, float]:
    fn, c, fh, fw = layer.params["W"].shape
    m = torch.nn.Conv2d(c, fn, (fh, fw), stride=layer.stride, padding=layer.pad)
    x = torch.randn(*shape, requires_grad=not first)
    with torch.no_grad():
        dout = torch.randn_like(m(x))

    def fwd() -> None:
        with torch.no_grad():
            m(x)

    def both() -> None:
        m(x).backward(dout)

    return best_ms(fwd, repeats), best_ms(both, repeats)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=20, help="calls per timing (the best is kept)")
    args = ap.parse_args(argv)
    with threadpool_limits(1):
        print_header()
        if torch is not None:
            torch.set_num_threads(1)
            print(f"torch {torch.__version__}, 1 thread")
        rng = np.random.default_rng(0)
        for name, net_def in CONVNETS.items():
            print(f"\n{net_def.title}, batch {net_def.batch}: ms (GFLOP/s)")
            print(f"  {'C->FN, HxW, F, pad':<26}{'netcore fwd':>14}{'dW':>14}{'dx':>14}{'fwd+bwd':>10}"
                  f"{'GEMMs':>8}{'torch fwd':>14}{'fwd+bwd':>10}{'ratio':>7}")
            tot_n = tot_t = tot_g = 0.0
            for layer, shape, first in conv_shapes(name):
                fn, c, fh, _ = layer.params["W"].shape
                f, dw, dx, gemms, positions = netcore_times(layer, shape, first, args.repeats, rng)
                gflop = 2 * shape[0] * positions * fn * c * fh * layer.params["W"].shape[3] / 1e9
                nc = f + dw + dx
                row = (f"  {f'{c}->{fn}, {shape[2]}x{shape[3]}, {fh}x{fh}, {layer.pad}':<26}"
                       f"{f:7.2f} ({gflop / f * 1e3:3.0f}){dw:8.2f} ({gflop / dw * 1e3:3.0f})"
                       + (f"{dx:8.2f} ({gflop / dx * 1e3:3.0f})" if dx else f"{'-':>14}") + f"{nc:10.2f}{gemms:8.2f}")
                tot_n, tot_g = tot_n + nc, tot_g + gemms
                if torch is not None:
                    tf, tb = torch_times(layer, shape, first, args.repeats)
                    row += f"{tf:7.2f} ({gflop / tf * 1e3:3.0f}){tb:10.2f}{tb / nc:6.2f}x"
                    tot_t += tb
                print(row)
            ratio = f"   torch {tot_t:.1f} ms: netcore {tot_t / tot_n:.2f}x" if tot_t else ""
            print(f"  all conv layers: netcore {tot_n:.1f} ms, of which its GEMMs {tot_g:.1f} ms{ratio}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
