"""The comparison page, render_comparison(), of several studies pooled by group: escaping, sections, figures,
the per-group numbers, and the same page from the same seed."""

from __future__ import annotations

import re

import numpy as np
import pytest

from reports import render_comparison, write_export


def test_comparison_page(tmp_path, make_export, nasty, read_page):
    exports = []
    for i, shift in enumerate([0.0, 0.02, -0.02]):
        e = make_export(study=f"seed{i}")
        e.trials["value"] = e.trials["value"] + shift
        exports.append(e)
    odd = make_export(study=nasty)
    folder = write_export(odd, tmp_path / "odd" / "export")
    groups = {"seed0": "adam", "seed1": "adam", "seed2": "adam", nasty: nasty}
    index = render_comparison([*exports, folder], out_dir=tmp_path / "cmp", title=f"Compare {nasty}",
                              group=groups, rng=np.random.default_rng(0), n_boot=200)
    text, page = read_page(index)
    assert nasty not in text and text.count("<script") == 1
    assert {"Studies", "Scores by group", "Best score so far", "val_acc of each study's best trial",
            "Scores of COMPLETE trials"} <= set(page.headings)
    assert len(page.images) == 3 == len(list((tmp_path / "cmp" / "figures").glob("*.png")))
    stats = text[text.index('id="T_stats"'):]
    stats = stats[:stats.index("</table>")]
    cells = re.findall(r'class="data row0 col(\d+)" >([^<]*)</td>', stats)
    row = dict(cells)
    assert row["0"] == "adam" and row["1"] == "3" and row["2"] == "15"
    assert float(row["3"]) == pytest.approx(np.mean([0.5, 0.7, 0.7, 0.9, 0.1]))  # shifts cancel out
    assert float(row["4"]) <= float(row["3"]) <= float(row["5"])
    # rendering twice with the same seed gives the same page
    again = render_comparison([*exports, folder], out_dir=tmp_path / "cmp2", title=f"Compare {nasty}",
                              group=groups, rng=np.random.default_rng(0), n_boot=200)
    assert again.read_text(encoding="utf-8") == text
