"""Optimizer paths on the book's 2-D bowl f(x, y) = x^2/20 + y^2 (book section 6.1, Figs 6-3 to 6-8).

SGD, Momentum, AdaGrad and Adam with the book's learning rates (0.95, 0.1, 1.5, 0.3) from (-7, 2) for 30
iterations, plus RMSprop and Nesterov as extra panels; the book's contour figure (2x3 panels). The paths are
deterministic, so the grid is over the optimizer only: ``--seeds`` and ``--dataset`` (the surface needs no
data) are refused with a message rather than ignored. ``--quick`` changes nothing but the study name: the
book's 30 steps take milliseconds.

Run: python studies/optimizer_trajectories.py [--book-only] [--steps 30] [--n-jobs 2] [--out runs] [--quick]
Writes runs/optimizer-trajectories/index.html.
"""

from __future__ import annotations

import sys

from hpsearch.experiments.grid import grid_space, grid_spec
from hpsearch.experiments.script import base_parser, run_grid
from hpsearch.experiments.surface2d import PANEL_ORDER, SurfaceSettings
from reports import render_trajectories


def main(argv: list[str] | None = None) -> int:
    ap = base_parser(__doc__)
    ap.add_argument("--steps", type=int, default=30, help="iterations = points of each path (book: 30)")
    ap.add_argument("--book-only", action="store_true", help="only the book's four optimizers (2x2 panels)")
    ap.set_defaults(dataset=None)  # to tell a given --dataset from the default
    args = ap.parse_args(argv)
    given = [flag for flag, value in (("--dataset", args.dataset), ("--seeds", args.seeds)) if value is not None]
    if given:
        print(f"error: {' and '.join(given)} do not apply here: the paths on the 2-D bowl need no data set and are "
              "deterministic (no replicates); leave them out", file=sys.stderr)
        return 2
    names = PANEL_ORDER[:4] if args.book_only else PANEL_ORDER
    settings = SurfaceSettings(epochs=args.steps)
    name = args.name or "optimizer-trajectories" + ("-quick" if args.quick else "") + (
        "" if args.steps == 30 else f"-{args.steps}")
    try:
        spec = grid_spec(name, "surface2d", settings, grid_space({"optimizer": names}), out_dir=args.out)
        run_grid(spec, n_jobs=args.n_jobs, announce=print, quick=args.quick)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    index = render_trajectories(spec.run_dir / "export", out_dir=spec.run_dir, semantics=settings.semantics())
    print(f"report: {index}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
