"""reports.summaries.top_k and the study page when a parameter's name is also a trial column (a grid's `seed`)."""

from __future__ import annotations

import numpy as np

from reports import StudyExport, render
from reports.summaries import top_k


def _with_seed_param(trials):
    return trials.assign(param_seed=np.arange(len(trials)) % 3)


def test_a_seed_parameter_keeps_its_prefix_beside_the_trial_seed(trials):
    top = top_k(_with_seed_param(trials), 3)
    assert top["number"].tolist() == [5, 1, 3]
    assert top["seed"].tolist() == [105, 101, 103]  # the trial's training seed
    assert top["param_seed"].tolist() == [2, 1, 0]  # the grid parameter, under its full column name
    assert "lr" in top.columns and "param_lr" not in top.columns  # other parameters lose the prefix


def test_the_study_page_renders_a_study_with_a_seed_parameter(trials, curves, meta, tmp_path):
    meta["space"]["seed"] = {"type": "categorical", "low": None, "high": None, "log": False, "choices": [0, 1, 2]}
    exp = StudyExport.from_frames(_with_seed_param(trials), curves, meta)
    page = render(exp, out_dir=tmp_path).read_text(encoding="utf-8")
    assert "param_seed" in page
