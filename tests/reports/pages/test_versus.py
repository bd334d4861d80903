"""The page of `hpsearch compare` (reports.pages.versus) from hand-made studies (conftest's make_study): the
verdict, the figures, and no page from fewer than two studies."""

from __future__ import annotations

import pytest

from reports import render_study_comparison

HIGH = [0.90, 0.91, 0.92, 0.93, 0.94]
LOW = [0.50, 0.51, 0.52, 0.53, 0.54]


def test_the_page_names_the_winner_and_needs_two_studies(tmp_path, make_study):
    a, b = make_study("a", HIGH, sampler="random"), make_study("b", LOW, sampler="tpe")
    page = render_study_comparison([a, b], out_dir=tmp_path).read_text(encoding="utf-8")
    assert "a wins:" in page and "winner: a" in page
    assert "Best score so far, every study on one axis" in page and page.count("<img") == 3
    with pytest.raises(ValueError, match="two or more studies"):
        render_study_comparison([a], out_dir=tmp_path / "x")
    assert not (tmp_path / "x").exists()
