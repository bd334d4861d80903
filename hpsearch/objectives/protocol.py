"""The real-size protocol of ``studies/fashion_mnist.py`` as library data: its split, evaluations and recipe,
and the prior configurations its search tries first.

:func:`fullsize_settings` gives a model family's settings under the protocol: on the full Fashion-MNIST,
50,000 train / 10,000 validation images (split seed 0), shuffled epochs of batch 100, four evaluations per
epoch on a fixed 2,000-image validation subsample (and 1,000 training images); on a small data set (a demo,
a test) the script's quick sizes. :func:`modern_recipe` is the script's ``--recipe modern``: shifts of up to
2 pixels, horizontal flips and test-time flip averaging on Fashion-MNIST only, label smoothing 0.1, an EMA of
the weights whose horizon is a tenth of a full trial's updates, a warm-up + cosine schedule.
:data:`PRIOR_CONFIGS` are the configurations the script's search starts from, each naming its source;
:func:`mlp_space` and :func:`cnn_search_space` the spaces it searches; :data:`ANCHORS` the published results
its page sets beside the pick. The script reads them all from here.
"""

from __future__ import annotations

from typing import Any

from hpsearch.objectives.cnn import cnn_space
from hpsearch.space import ParamSpec, SearchSpace

__all__ = ["ANCHORS", "FULL_EPOCHS", "MLP_HIDDEN", "PRIOR_CONFIGS", "cnn_search_space", "default_epochs",
           "fullsize_settings", "mlp_space", "modern_recipe"]

FULL_EPOCHS = {"mlp": 40, "cnn": 20}  # a full trial of studies/fashion_mnist.py from an hour's budget on

# test accuracy on the full Fashion-MNIST, from the benchmark table in the README of Debian's
# dataset-fashion-mnist (Zalando Research's published benchmark)
ANCHORS = {
    "MLP 256-128-100": 0.8833,
    "2 conv + pooling": 0.916,
    "2 conv + pooling + batch norm": 0.934,
    "Google AutoML, 24 compute hours": 0.939,
    "human": 0.835,
}
MLP_HIDDEN = (1024, 512)  # the script's MLP

PRIOR_CONFIGS: dict[str, list[dict[str, Any]]] = {
    "mlp": [
        {"params": {"lr": 1e-3, "optimizer": "adam", "weight_decay": 1e-6, "init_scale": 1.0, "batch_norm": True,
                    "dropout": 0.3},
         "source": "the book's advice (ch. 6: Adam at lr 1e-3, He init, batch norm, dropout)"},
    ],
    "cnn": [
        {"params": {"lr": 1e-3, "optimizer": "adam", "weight_decay": 1e-6, "init_scale": 1.0, "blocks": 2,
                    "filters1": 32, "filters2": 64, "batch_norm": True, "dropout": 0.3, "dense": 128},
         "source": "the book's advice (ch. 6: Adam at lr 1e-3, He init, batch norm, dropout) on 2 blocks of 32-64"},
        {"params": {"lr": 0.05, "optimizer": "momentum", "weight_decay": 5e-4, "init_scale": 1.0, "blocks": 2,
                    "filters1": 32, "filters2": 64, "batch_norm": True, "dropout": 0.3, "dense": 256},
         "source": "common conv-net practice (SGD + momentum 0.9, lr 0.05, weight decay 5e-4)"},
    ],
}


def modern_recipe(dataset: str, n_train: int, epochs: int, *, batch_size: int = 100) -> dict[str, Any]:
    """The modern recipe's settings for ``epochs`` epochs over ``n_train`` images. The EMA's horizon
    (1 / (1 - decay)) is a tenth of a full trial's updates (0.999 for 20 epochs of 500 updates), 0.9 at least."""
    updates = epochs * -(-n_train // batch_size)
    return {
        "lr_schedule": "warmup-cosine", "augment_shift": 2,
        "augment_flip": dataset == "fashion-mnist",  # a mirrored digit is another digit, a mirrored shirt not
        "tta_flip": dataset == "fashion-mnist",  # scored as it trained: each image and its mirror, averaged
        "label_smoothing": 0.1, "ema_decay": round(min(0.999, max(0.9, 1.0 - 10.0 / updates)), 6),
    }


def fullsize_settings(settings_cls: type, *, dataset: str = "fashion-mnist", epochs: int, full: bool = True,
                      **extra: Any) -> Any:
    """``settings_cls`` (CnnSettings, ObjectiveSettings) under the real-size protocol with the modern recipe;
    ``full=False``: the script's quick sizes (3,000 images, 2,000 on mnist-5k; 500 for validation, two
    evaluations per epoch on 250 images). ``extra`` fields override, the recipe's too (e.g. ``n_samples`` for a
    tiny table, ``tta_flip=False``)."""
    n_val = 10_000 if full else 500
    n_samples = None if full else (3000 if dataset != "mnist-5k" else 2000)
    base: dict[str, Any] = {
        "dataset": dataset, "n_samples": n_samples, "n_val": n_val, "mode": "shuffle", "epochs": epochs,
        "batch_size": 100, "evals_per_epoch": 4 if full else 2, "eval_val_n": 2000 if full else 250,
        "eval_train_n": 1000 if full else 250,
    }
    base.update(extra)
    n_train = (base["n_samples"] or 60_000) - base["n_val"]
    recipe = modern_recipe(dataset, n_train, epochs, batch_size=base["batch_size"])
    return settings_cls(**{**base, **recipe, **extra})


def default_epochs(model: str, budget: float) -> int:
    """A full trial's epochs for a search of ``budget`` seconds: the full length (mlp 40, cnn 20) from an hour
    on, shorter for shorter budgets, so a full trial of the prior configuration stays near a third of the
    budget on a 2-core machine (the 32-64 conv net: about 46 s an epoch with two workers; the 1024-512 MLP
    about 12 s, docs/fullsize.md), and each worker can finish a few. Machine-independent on purpose: a
    resumed study keeps its spec."""
    per_epoch = 12.0 if model == "mlp" else 46.0
    return max(3, min(FULL_EPOCHS[model], round(budget / 3 / per_epoch)))


def mlp_space() -> SearchSpace:
    return SearchSpace((
        ParamSpec("lr", low=1e-4, high=3e-1, log=True),
        ParamSpec("weight_decay", low=1e-8, high=1e-3, log=True),
        ParamSpec("init_scale", low=0.3, high=3.0, log=True),
        ParamSpec("optimizer", kind="categorical", choices=("momentum", "adam", "rmsprop")),
        ParamSpec("batch_norm", kind="categorical", choices=(True, False)),
        ParamSpec("dropout", low=0.0, high=0.6),
    ))


def cnn_search_space() -> SearchSpace:
    """``cnn_space`` with the architecture held to what an hour on two cores can train: 3x3 kernels (a 5x5
    conv costs 2.8 times as much), 2-3 blocks whose filters roughly double (16-32, 32-64, 64-128), dense
    64-256. A trial of the largest net costs about twice the 32-64 net; the smallest about a third."""
    narrowed = {
        "blocks": ParamSpec("blocks", kind="categorical", choices=(2, 3)),
        "filters1": ParamSpec("filters1", kind="int", low=16, high=32, log=True),
        "filters2": ParamSpec("filters2", kind="int", low=32, high=64, log=True, when=("blocks", (2, 3))),
        "filters3": ParamSpec("filters3", kind="int", low=64, high=128, log=True, when=("blocks", (3,))),
        "kernel_size": ParamSpec("kernel_size", kind="categorical", choices=(3,), fixed=3),
        "dense": ParamSpec("dense", kind="int", low=64, high=256, log=True),
    }
    return SearchSpace(tuple(narrowed.get(p.name, p) for p in cnn_space().params))
