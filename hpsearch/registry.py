"""A registry: named items (objectives, benchmark methods, tasks, tables) looked up by name with a clear error."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Generic, TypeVar

__all__ = ["Registry"]

T = TypeVar("T")


class Registry(dict[str, T], Generic[T]):
    """``name -> item`` for items with a ``name``; ``kind`` names them in errors ("method 'x' is unknown ...").

    A plain dict for reading (``in``, iteration, ``[name]``); :meth:`add` and :meth:`lookup` are the checked ways
    in and out."""

    def __init__(self, kind: str, item_type: type[T]) -> None:
        super().__init__()
        self.kind = kind
        self.item_type = item_type

    def add(self, item: T, *, replace: bool = False) -> T:
        """Add ``item`` (a different item under a taken name needs ``replace=True``; the same one is a no-op)."""
        name = item.name  # type: ignore[attr-defined]
        if name in self and not replace and self[name] != item:
            raise ValueError(f"{self.kind} {name!r} is registered already; pick another name")
        self[name] = item
        return item

    def lookup(self, name: str | T, *, known: Iterable[str] | None = None) -> T:
        """The item called ``name`` (an item passes through); the error lists ``known`` (default: every name)."""
        if isinstance(name, self.item_type):
            return name
        try:
            return self[name]  # type: ignore[index]
        except KeyError:
            names = ", ".join(self if known is None else known)
            raise ValueError(f"{self.kind} {name!r} is unknown; use one of {names}") from None
