"""Label-preserving augmentation of a training batch: random shifts (zero padding + random crop) and flips.

A modern option, not the book's (its trainer shows every image as it is). Random crops of a zero-padded
image and horizontal flips are the standard CIFAR protocol (e.g. He et al. 2016, "Deep Residual Learning
for Image Recognition", 4-pixel padding and 32x32 crops). Neither changes what an image shows, so the labels
are kept as they are.

``shift = s``: each image is zero-padded by ``s`` pixels on every side and a crop of the original size is
taken at its own offsets ``dy, dx``, uniform in ``[-s, s]`` each: ``out[c, y, x] = img[c, y + dy, x + dx]``,
and 0 where that falls outside the image. ``flip``: each image is mirrored left-right (after the crop) with
probability 1/2. The draws, in this order: the offsets ``rng.integers(0, 2s + 1, (2, N))`` (rows, then
columns; only when ``s > 0``), then ``rng.random(N) < 0.5`` (only when ``flip``).

The work is one gather over the whole batch (no Python loop per image): the padded batch read through a
sliding-window view at each image's own offset. Flipped images are then reversed in one indexed copy.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["augment_batch", "mirror"]


def _image_shape(x: np.ndarray, image_shape: tuple[int, ...] | None) -> tuple[int, int, int]:
    """(C, H, W) of the images of a batch ``x``: (N, C, H, W), (N, H, W) or flat (N, D) rows."""
    if image_shape is not None:
        shape = tuple(int(v) for v in image_shape)
        if len(shape) == 2:
            shape = (1, *shape)
        if len(shape) != 3 or math.prod(shape) != math.prod(x.shape[1:]):
            raise ValueError(
                f"image_shape={image_shape!r} does not fit batch rows of shape {x.shape[1:]}: "
                "give (H, W) or (C, H, W) with as many pixels as a row"
            )
        return shape  # type: ignore[return-value]
    if x.ndim == 4:
        return x.shape[1], x.shape[2], x.shape[3]
    if x.ndim == 3:
        return 1, x.shape[1], x.shape[2]
    if x.ndim == 2:
        side = math.isqrt(x.shape[1])
        if side * side != x.shape[1]:
            raise ValueError(
                f"rows of {x.shape[1]} pixels are not square images: pass image_shape=(H, W) or (C, H, W)"
            )
        return 1, side, side
    raise ValueError(f"a batch of shape {x.shape} is not images: pass (N, C, H, W), (N, H, W) or (N, D) rows")


def augment_batch(
    x: np.ndarray,
    rng: np.random.Generator,
    *,
    shift: int = 0,
    flip: bool = False,
    image_shape: tuple[int, ...] | None = None,
) -> np.ndarray:
    """A randomly shifted and/or flipped copy of the batch ``x`` (see the module docstring).

    Returns a new array of ``x``'s shape and dtype; ``x`` is only read (it may be a read-only memmap).
    ``image_shape`` ((H, W) or (C, H, W)) tells how flat (N, D) rows are images; by default they are square
    single-channel images of side sqrt(D).
    """
    if isinstance(shift, bool) or int(shift) != shift or shift < 0:
        raise ValueError(f"shift={shift!r} must be an integer >= 0 (pixels; 0 = no shift)")
    shift = int(shift)
    x = np.asarray(x)
    c, h, w = _image_shape(x, image_shape)
    n = x.shape[0]
    imgs = x.reshape(n, c, h, w)  # a view for contiguous input
    if shift > 0:
        offsets = rng.integers(0, 2 * shift + 1, size=(2, n))  # 0..2s in the padded image = -s..s in the image
        padded = np.zeros((n, c, h + 2 * shift, w + 2 * shift), dtype=x.dtype)
        padded[:, :, shift : shift + h, shift : shift + w] = imgs
        windows = np.lib.stride_tricks.sliding_window_view(padded, (h, w), axis=(2, 3))  # (N, C, 2s+1, 2s+1, H, W)
        out = windows[np.arange(n), :, offsets[0], offsets[1]]  # (N, C, H, W): advanced axes first, a new array
    else:
        out = np.array(imgs, dtype=x.dtype, copy=True)
    if flip:
        mirrored = np.flatnonzero(rng.random(n) < 0.5)
        out[mirrored] = out[mirrored, :, :, ::-1]
    return out.reshape(x.shape)


def mirror(x: np.ndarray, image_shape: tuple[int, ...] | None = None) -> np.ndarray:
    """Every image of the batch ``x`` mirrored left-right, as a new contiguous array of ``x``'s shape: the
    test-time half of ``flip`` (shapes as :func:`augment_batch`)."""
    x = np.asarray(x)
    c, h, w = _image_shape(x, image_shape)
    return np.ascontiguousarray(x.reshape(x.shape[0], c, h, w)[:, :, :, ::-1]).reshape(x.shape)
