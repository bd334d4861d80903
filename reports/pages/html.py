"""The single HTML writer of every page: self-contained pages (inline CSS, PNGs as base64 data URIs, no external
request), built from escaped blocks (cards, key/value and data tables, figures, notes, sections).

Every string that came from data goes through `esc` (html.escape with quotes) or through a Styler with
`escape="html"` for cells and headers: the building blocks below take raw text and escape it themselves;
only arguments named `html`/`body` are trusted markup built by this module.
"""

from __future__ import annotations

import base64
import html as _html
import io
import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from reports.figures.style import DPI
from safefiles import write_file

log = logging.getLogger(__name__)

CSS = """
body{font:14px/1.45 system-ui,"Segoe UI",Roboto,sans-serif;color:#1d2330;margin:0;background:#f6f7f9}
header{background:#1d2330;color:#fff;padding:18px 28px}
header h1{margin:0;font-size:22px;word-break:break-all}header p{margin:4px 0 0;color:#c9cfdb}
nav{padding:8px 28px;background:#e9ecf1;font-size:13px}nav a{margin-right:14px;color:#2b4c8c}
main{padding:8px 28px 40px;max-width:1500px}
section{margin-top:22px}h2{font-size:18px;border-bottom:1px solid #d5dae3;padding-bottom:4px}
h3{font-size:14px;margin:0 0 6px;color:#3a4354}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:14px}
.card{background:#fff;border:1px solid #dde2ea;border-radius:6px;padding:10px 12px;overflow-x:auto}
.card.wide{grid-column:1/-1;padding:14px 18px}.card.wide table.kv{font-size:14px}
.card.wide td,.card.wide th{padding:5px 14px}
table{border-collapse:collapse;font-size:13px;background:#fff}
td,th{padding:3px 8px;border-bottom:1px solid #edf0f4;text-align:left;vertical-align:top}
table.kv th{color:#556;font-weight:500;white-space:nowrap}
table.data th{background:#eef1f6;position:sticky;top:0}
table.sortable thead th{cursor:pointer;user-select:none}
table.sortable thead th::after{content:" \\2195";color:#99a}
td{font-variant-numeric:tabular-nums}
.notes{background:#fff7e0;border:1px solid #f0d58a;border-radius:6px;padding:8px 14px}
.figs{display:grid;grid-template-columns:repeat(auto-fill,minmax(440px,1fr));gap:14px}
figure{margin:0;background:#fff;border:1px solid #dde2ea;border-radius:6px;padding:8px}
figure.wide{grid-column:1/-1}
figure img{max-width:100%;height:auto;display:block;margin:auto}
figcaption{font-size:12px;color:#556;margin-top:4px}
pre{background:#fff;border:1px solid #dde2ea;padding:8px;overflow-x:auto;font-size:12px}
.diverged{color:#c62828;font-weight:600}
footer{color:#778;font-size:12px;padding:12px 28px}
"""

SORT_JS = """
document.querySelectorAll("table.sortable").forEach(function (table) {
  table.querySelectorAll("thead th").forEach(function (th, col) {
    th.addEventListener("click", function () {
      var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
      var dir = th.getAttribute("data-dir") === "asc" ? -1 : 1;
      th.setAttribute("data-dir", dir === 1 ? "asc" : "desc");
      rows.sort(function (a, b) {
        var x = a.cells[col].textContent, y = b.cells[col].textContent;
        var nx = parseFloat(x), ny = parseFloat(y);
        if (!isNaN(nx) && !isNaN(ny)) { return dir * (nx - ny); }
        return dir * x.localeCompare(y);
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
});
"""


def esc(value: object) -> str:
    """HTML-escape any value's text (quotes included)."""
    return _html.escape(str(value), quote=True)


def fmt(value: object) -> str:
    """Readable text for a number or value: 4 significant digits for floats (whole numbers from 10,000 up),
    'yes'/'no' for booleans, '—' for missing."""
    if value is None or (isinstance(value, float | np.floating) and math.isnan(value)) or value is pd.NA:
        return "—"
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, float | np.floating):
        return f"{value:.0f}" if 1e4 <= abs(value) < 1e15 else f"{value:.4g}"
    return str(value)


def png_bytes(fig: Figure, *, dpi: int | None = None) -> bytes:
    """The figure as PNG bytes (Agg, via the Figure's own canvas: no pyplot)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


@dataclass(frozen=True)
class FigureBlock:
    """One rendered figure: PNG bytes plus its (raw, unescaped) title and caption."""

    title: str
    png: bytes
    caption: str = ""
    wide: bool = False


def png_size(png: bytes) -> tuple[int, int]:
    """(width, height) in pixels from a PNG's IHDR chunk; (0, 0) for bytes that are not a PNG."""
    if len(png) < 24 or png[:8] != b"\x89PNG\r\n\x1a\n":
        return 0, 0
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def figure_html(block: FigureBlock) -> str:
    """One figure: the PNG shown at its size in inches (96 CSS px per inch; the PNG has DPI pixels per
    inch, so it stays sharp on high-density screens), shrunk to the column when narrower."""
    data = base64.b64encode(block.png).decode("ascii")
    cls = ' class="wide"' if block.wide else ""
    width, _ = png_size(block.png)
    size = f' width="{round(width * 96 / DPI)}"' if width else ""
    return (f'<figure{cls}><h3>{esc(block.title)}</h3><img src="data:image/png;base64,{data}"{size} '
            f'alt="{esc(block.title)}"><figcaption>{esc(block.caption)}</figcaption></figure>')


def figures_html(blocks: Iterable[FigureBlock]) -> str:
    return '<div class="figs">' + "".join(figure_html(b) for b in blocks) + "</div>"


def kv_table(rows: Iterable[tuple[object, object]], *, title: str | None = None, wide: bool = False) -> str:
    """A two-column key/value card; both sides escaped. A `wide` card spans the whole row, roomier."""
    body = "".join(f"<tr><th>{esc(k)}</th><td>{esc(fmt(v))}</td></tr>" for k, v in rows)
    head = f"<h3>{esc(title)}</h3>" if title else ""
    cls = "card wide" if wide else "card"
    return f'<div class="{cls}">{head}<table class="kv">{body}</table></div>'


def cards(parts: Iterable[str]) -> str:
    return '<div class="cards">' + "".join(parts) + "</div>"


def notes(messages: Sequence[str]) -> str:
    """A highlighted list of (escaped) notes, e.g. what data is missing; empty string for none."""
    if not messages:
        return ""
    items = "".join(f"<li>{esc(m)}</li>" for m in messages)
    return f'<div class="notes"><strong>Missing or partial data</strong><ul>{items}</ul></div>'


def data_table(frame: pd.DataFrame, *, table_id: str, sortable: bool = True,
               highlight: str | None = None, bar: str | None = None) -> str:
    """A DataFrame as an HTML table through pandas Styler, cells and headers escaped; rows whose boolean
    column `highlight` is true get the `diverged` style; column `bar` gets in-cell bars."""
    if frame.empty:
        return "<p>(no rows)</p>"
    styler = frame.style.format(fmt, escape="html").format_index(escape="html", axis=1)
    styler = styler.hide(axis="index")
    if highlight is not None and highlight in frame.columns:
        flags = frame[highlight].fillna(False).to_numpy(dtype=bool)
        css = np.where(flags[:, None], "color:#c62828", "")
        styler = styler.apply(lambda df: pd.DataFrame(np.broadcast_to(css, df.shape), index=df.index,
                                                      columns=df.columns), axis=None)
    finite = pd.to_numeric(frame[bar], errors="coerce").to_numpy(float) if bar in frame.columns else np.array([])
    finite = finite[np.isfinite(finite)]
    if bar is not None and finite.size and finite.max() > finite.min():  # equal values: no bar (pandas divides by 0)
        styler = styler.bar(subset=[bar], color="#b9cdef")
    classes = "data sortable" if sortable else "data"
    return styler.to_html(table_uuid=table_id, table_attributes=f'class="{classes}"')


def section(anchor: str, title: str, body: str) -> str:
    return f'<section id="{esc(anchor)}"><h2>{esc(title)}</h2>{body}</section>'


KIND_META = "hpsearch-page"  # <meta name=...> naming which renderer wrote a page (see is_study_page)


def page(
    title: str, sections: Sequence[tuple[str, str, str]], *, subtitle: str = "", footer: str = "", kind: str = ""
) -> str:
    """The whole page. `sections` are (anchor, title, trusted body html); title/subtitle/footer are raw
    text (escaped here); `kind` names the renderer (the generic study page is "study")."""
    nav = "".join(f'<a href="#{esc(a)}">{esc(t)}</a>' for a, t, _ in sections)
    body = "".join(section(a, t, b) for a, t, b in sections)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="{KIND_META}" content="{esc(kind)}">'
        f'<link rel="icon" href="data:,"><title>{esc(title)}</title><style>{CSS}</style></head>'
        f"<body><header><h1>{esc(title)}</h1><p>{esc(subtitle)}</p></header><nav>{nav}</nav>"
        f"<main>{body}</main><footer>{esc(footer)}</footer><script>{SORT_JS}</script></body></html>\n"
    )


def write_page(out_dir: str | Path, text: str) -> Path:
    """Write a page as ``<out_dir>/index.html`` (creating the folder); returns its path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    index = write_file(out / "index.html", text)  # a link named index.html is replaced, never written through
    log.info("wrote %s", index)
    return index


def is_study_page(path: str | Path) -> bool:
    """Whether the page at ``path`` is the generic study page (which ``hpsearch report`` may rewrite) rather
    than a script's own, richer page. Pages from before the kind was recorded are told by their title."""
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            head = fh.read(4096)
    except OSError:
        return True  # nothing readable to keep
    return f'<meta name="{KIND_META}" content="study">' in head or (KIND_META not in head and "<title>Study " in head)
