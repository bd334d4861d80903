"""reports.pages.html: cell formatting and escaping of the building blocks."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from reports.pages import html as H


@pytest.mark.parametrize(("value", "text"), [
    (0.123456, "0.1235"), (1e-5, "1e-05"), (12345.6, "12346"), (3831201730.0, "3831201730"), (7, "7"),
    (np.float64(2.5), "2.5"), (np.nan, "—"), (None, "—"), (pd.NA, "—"), (True, "yes"), (np.bool_(False), "no"),
    ("adam", "adam"),
])
def test_fmt(value, text):
    assert H.fmt(value) == text


def test_blocks_escape_their_text(nasty):
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert H.kv_table([(nasty, nasty)], title=nasty).count(escaped) == 3
    assert escaped in H.notes([nasty]) and H.notes([]) == ""
    assert nasty not in H.page(nasty, [("a", nasty, "<p>trusted</p>")], subtitle=nasty, footer=nasty)
    block = H.FigureBlock(nasty, b"\x89PNG", nasty)
    assert nasty not in H.figure_html(block)


def test_data_table_escapes_cells_and_headers_and_marks_rows(nasty):
    frame = pd.DataFrame({nasty: [nasty, "ok"], "value": [0.5, 0.25], "diverged": [False, True]})
    text = H.data_table(frame, table_id="t", highlight="diverged", bar="value")
    assert nasty not in text
    assert text.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 2
    assert 'class="data sortable"' in text and 'id="T_t"' in text
    rules = re.findall(r"([^{}]+)\{([^}]*)\}", text.split("</style>")[0].split(">", 1)[1])
    red = {cell.strip() for selectors, body in rules if "color: #c62828" in body for cell in selectors.split(",")}
    assert red == {"#T_t_row1_col0", "#T_t_row1_col1", "#T_t_row1_col2"}  # the diverged row, every cell
    assert H.data_table(frame.iloc[0:0], table_id="e") == "<p>(no rows)</p>"


def test_a_bar_column_of_equal_or_infinite_values_draws_no_bar_and_no_warning():
    from reports.pages.html import data_table

    for values in ([2.0, 2.0], [float("inf"), 2.0], [float("inf"), float("inf")]):
        html = data_table(pd.DataFrame({"speedup": values}), table_id="t", bar="speedup")
        assert "linear-gradient" not in html
    assert "linear-gradient" in data_table(pd.DataFrame({"speedup": [1.0, 2.0]}), table_id="t", bar="speedup")
