"""The reports side: every data string is escaped, in text and in attributes.

One payload breaks out of element text (``<script>``) and out of a quoted attribute (``"><img onerror>``).
It is put in the study name, a parameter name, a parameter value, a user attribute column, the worker and
meta strings, written to an export folder and read back (the files are what reports trusts least), then
rendered. The page's DOM must hold exactly the page's own markup: one script, images that are embedded PNGs
only, no event-handler attribute, no injected element; the payload shows up as text. Figure files derived
from data stay inside the figures folder with safe names.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from reports import StudyExport, load_export, render, render_comparison, write_export
from reports.pages.common import default_out_dir

PAYLOAD = '<script>alert(1)</script>"><img src=x onerror=alert(2)>\'<svg onload=alert(3)>'
# for a parameter's name and values, which label figure axes: a 70-character label collapses matplotlib's
# constrained layout (a UserWarning, an error under pytest), a layout matter unrelated to escaping
SHORT = '<script>alert(4)</script>"><b'

ALLOWED_TAGS = {
    "html", "head", "meta", "link", "title", "style", "body", "header", "main", "footer", "section", "nav", "div", "h1",
    "h2", "h3", "p", "a", "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td", "figure", "figcaption",
    "img", "details", "summary", "pre", "script", "span", "small", "strong", "em", "code", "br", "caption",
    "colgroup", "col", "b", "i", "hr", "dl", "dt", "dd", "label", "input", "button",
}


class Dom(HTMLParser):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def _check_inert(index: Path) -> Dom:
    page = index.read_text(encoding="utf-8")
    assert PAYLOAD not in page and SHORT not in page
    dom = Dom(page)
    names = [tag for tag, _ in dom.tags]
    assert set(names) <= ALLOWED_TAGS, set(names) - ALLOWED_TAGS
    assert names.count("script") == 1  # the page's own table-sorting script
    assert "svg" not in names
    for tag, attrs in dom.tags:
        assert not [a for a in attrs if a.lower().startswith("on")], (tag, attrs)
        if tag == "img":
            assert attrs["src"].startswith("data:image/png;base64,")
        if tag == "a" and "href" in attrs:
            assert not attrs["href"].lower().startswith("javascript:")
    assert "alert(1)" in "".join(dom.text)  # shown as text, never run
    return dom


def _nasty_export(make_export) -> StudyExport:
    export = make_export(study=PAYLOAD)
    trials = export.trials.rename(columns={"param_momentum": "param_" + SHORT})
    trials["param_optimizer"] = [SHORT, "sgd"] * 4
    trials["user_attrs_note"] = PAYLOAD
    trials["worker"] = PAYLOAD
    meta = dict(export.meta, sampler=PAYLOAD, pruner=PAYLOAD, parent=PAYLOAD, created=PAYLOAD,
                machine={"cpu": PAYLOAD, PAYLOAD: PAYLOAD}, versions={PAYLOAD: PAYLOAD},
                spec={"name": PAYLOAD, "storage": PAYLOAD}, importance={SHORT: 1.0})
    meta["space"] = dict(meta["space"], **{SHORT: {"type": "float", "log": False}})
    return StudyExport.from_frames(trials, export.curves, meta)


def test_a_study_page_from_an_export_folder_keeps_every_data_string_inert(tmp_path, make_export):
    folder = write_export(_nasty_export(make_export), tmp_path / "export", fmt="csv")
    export = load_export(folder)
    assert export.study == PAYLOAD and SHORT in export.trials["param_optimizer"].tolist()
    index = render(export, out_dir=tmp_path / "report")
    dom = _check_inert(index)
    title = next(i for i, (tag, _) in enumerate(dom.tags) if tag == "title")
    assert dom.tags[title + 1][0] != "script"
    figures = list((tmp_path / "report" / "figures").iterdir())
    assert figures and all(re.fullmatch(r"\d\d_[A-Za-z0-9_.-]+\.png", p.name) for p in figures)


def test_a_comparison_page_keeps_study_names_inert(tmp_path, make_export):
    import numpy as np

    index = render_comparison([make_export(study="plain"), _nasty_export(make_export)], out_dir=tmp_path,
                              title=PAYLOAD, rng=np.random.default_rng(0), n_boot=50)
    _check_inert(index)


def test_a_study_name_cannot_choose_where_a_page_is_written(tmp_path, make_export, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("../../escape", "/etc/passwd", "..", ".", "a/../../b", "~root", "C:\\x", PAYLOAD):
        folder = default_out_dir(make_export(study=name))
        assert folder.parent == Path("runs") and folder.name not in ("", ".", ".."), (name, folder)
    index = render(make_export(study="../../escape"))
    assert index.resolve().is_relative_to((tmp_path / "runs").resolve()), index
    assert not (tmp_path.parent / "escape").exists() and not (tmp_path / "escape").exists()


def test_links_in_a_report_folder_are_replaced_never_written_through(tmp_path, make_export):
    """The reports side of the symbolic-link rule: a link in place of index.html, figures/, a figure or an export
    file is replaced by a real file or folder; nothing outside changes and no PNG is deleted in a linked folder."""
    outside = tmp_path / "outside"
    outside.mkdir()
    for name in ("victim.html", "keep.png", "meta.json"):
        (outside / name).write_bytes(b"outside")
    out, export_dir = tmp_path / "report", tmp_path / "export"
    out.mkdir()
    export_dir.mkdir()
    (out / "index.html").symlink_to(outside / "victim.html")
    (out / "figures").symlink_to(outside, target_is_directory=True)
    (export_dir / "meta.json").symlink_to(outside / "meta.json")
    render(load_export(write_export(make_export(), export_dir, fmt="csv")), out_dir=out)
    assert {p.name: p.read_bytes() for p in outside.iterdir()} == {
        "victim.html": b"outside", "keep.png": b"outside", "meta.json": b"outside"}
    for path in (out / "index.html", out / "figures", export_dir / "meta.json"):
        assert path.exists() and not path.is_symlink(), path
    assert list((out / "figures").glob("*.png")) and not list(tmp_path.rglob("*.tmp"))
