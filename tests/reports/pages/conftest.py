"""The page tests' view of a written page: its headings, images, scripts and text (HTMLParser, no browser)."""

from __future__ import annotations

from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest


class Page(HTMLParser):
    """The parts of a page the tests look at: headings, images, table cells, scripts, all text."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.headings: list[str] = []
        self.images: list[str] = []
        self.scripts = 0
        self.text: list[str] = []
        self._tag: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self._tag.append(tag)
        if tag == "img":
            self.images.append(dict(attrs)["src"])
            self._tag.pop()
        if tag == "script":
            self.scripts += 1

    def handle_endtag(self, tag):
        if self._tag and self._tag[-1] == tag:
            self._tag.pop()

    def handle_data(self, data):
        self.text.append(data)
        if self._tag and self._tag[-1] in ("h2", "h3"):
            self.headings.append(data)

    @property
    def all_text(self) -> str:
        return " ".join(self.text)


def read(index: Path) -> tuple[str, Page]:
    text = index.read_text(encoding="utf-8")
    return text, Page(text)


@pytest.fixture
def read_page() -> Callable[[Path], tuple[str, Page]]:
    """read_page(index) -> (the page's text, its parsed Page)."""
    return read
