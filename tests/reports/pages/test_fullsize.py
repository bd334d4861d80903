"""reports.pages.fullsize, the full-size search page (conftest's budget_trials): the headline beside the
anchors, the search's cost, no interval on a single test score."""

from __future__ import annotations

from html import escape as html_escape

from reports import StudyExport
from reports.pages.fullsize import render_fullsize


def _export(trials, final):
    meta = {"study": "fs", "direction": "maximize", "wall_seconds": 3600.4, "n_workers": 2,
            "runs": [{"wall_seconds": 3600.4, "time_budget": 3600.0, "out_of_time": True}], "final": final}
    return StudyExport.from_frames(trials, None, meta)


ANCHORS = {"MLP <b>": 0.8833, "2 conv + pooling + batch norm": 0.934}


def test_headline_puts_the_test_score_beside_the_anchors_with_the_cost(tmp_path, budget_trials):
    final = {"trial": 2, "value": 0.85, "retrain": "train+val", "n_train": 60000, "n_search_train": 100,
             "train_seconds": 321.0, "test_acc": 0.9012, "n_test": 10000, "params": {"lr": 0.3}}
    html = render_fullsize(_export(budget_trials, final), anchors=ANCHORS, out_dir=tmp_path).read_text()
    assert "Test accuracy 0.9012" in html and "retrained on training + validation" in html
    assert "no interval" in html
    assert "+0.0179" in html and "-0.0328" in html  # 0.9012 - 0.8833, 0.9012 - 0.934
    assert "MLP &lt;b&gt;" in html and "<b>MLP" not in html
    assert "3600 s" in html and "3 (1 diverged) / 1 / 0" in html and "321 s" in html and "6.5" in html


def test_without_a_final_pick_the_page_says_so(tmp_path, budget_trials):
    html = render_fullsize(_export(budget_trials, None), anchors=ANCHORS, out_dir=tmp_path, n_train=100).read_text()
    assert "No final pick yet" in html and "Test accuracy" not in html


def test_without_anchors_no_comparison_table_is_drawn(tmp_path, budget_trials):
    final = {"trial": 2, "value": 0.85, "retrain": "train", "n_train": 100, "n_search_train": 100,
             "train_seconds": 3.0, "test_acc": 0.9012, "n_test": 1000, "params": {"lr": 0.3}}
    html = render_fullsize(_export(budget_trials, final), anchors={}, out_dir=tmp_path).read_text()
    assert "Test accuracy 0.9012" in html and "No published results on this data set" in html
    assert "this search minus it" not in html


PRIORS = {"configs": [{"params": {"lr": 0.001, "optimizer": "adam"}, "source": "book defaults"},
                      {"params": {"lr": 0.02}, "source": "study fm-1 trial <17>"}],
          "box": {"lr": [0.0001, 0.1]}, "startup_trials": 8, "box_source": "study fm-1"}
SCHEDULE = {"min_resource": 30.0, "reduction_factor": 3, "max_trial_seconds": 900.0, "endgame": True,
            "pruner": "asha-cost", "resource": "seconds", "rungs": [30.0, 90.0, 270.0, 810.0]}  # as hpsearch stores it


def _three_seeds(per_seed):
    mean = sum(per_seed) / len(per_seed)
    return {"trial": 2, "value": 0.85, "retrain": "train+val", "n_train": 60000, "n_search_train": 100,
            "train_seconds": 330.0, "seconds_per_seed": [100.0, 110.0, 120.0], "seeds": [101, 102, 103],
            "test_per_seed": per_seed, "test_mean": mean, "test_std": None, "test_acc": mean, "n_test": 10000,
            "params": {"lr": 0.3}}


def test_three_seeds_show_each_score_the_mean_the_spread_and_a_t_interval(tmp_path, budget_trials, read_page):
    import numpy as np
    from scipy import stats

    per_seed = [0.9012, 0.8987, 0.9041]
    html, page = read_page(render_fullsize(_export(budget_trials, _three_seeds(per_seed)), anchors=ANCHORS,
                                           out_dir=tmp_path))
    text = " ".join(page.all_text.split())
    mean, std = np.mean(per_seed), np.std(per_seed, ddof=1)
    assert f"Test accuracy {mean:.4f} (mean of 3 seeds)" in text
    assert "scored on 3 retraining seeds (the test split read once per seed, only by the final pick)" in text
    seeds = html.split('id="T_seeds"', 1)[1].split("</table>", 1)[0]
    for seed, score in zip((101, 102, 103), per_seed, strict=True):
        assert f">{seed}<" in seeds and f"{score:.4f}" in seeds
    assert f"standard deviation {std:.4f}, min-max 0.8987-0.9041" in text
    low, high = stats.t.interval(0.95, 2, loc=mean, scale=std / np.sqrt(3))
    assert f"95% interval of the mean, t-based over the seeds (2 degrees of freedom): [{low:.4f}, {high:.4f}]" in text
    assert f"{mean - 0.8833:+.4f}" in html and "mean of 3 seeds" in html.split('id="T_anchors"', 1)[1]
    assert "330 s (3 seeds)" in text and "scored once" not in text


def test_one_seed_is_said_plainly_and_no_interval_is_claimed(tmp_path, budget_trials, read_page):
    final = {**_three_seeds([0.9012]), "seeds": [101], "seconds_per_seed": [100.0], "train_seconds": 100.0}
    _, page = read_page(render_fullsize(_export(budget_trials, final), anchors=ANCHORS, out_dir=tmp_path))
    text = " ".join(page.all_text.split())
    assert "Test accuracy 0.9012" in text and "mean of" not in text
    assert "scored on 1 retraining seed" in text and "One retraining seed: this is one number" in text
    assert "interval of the mean" not in text and "standard deviation" not in text


def test_two_seeds_show_the_spread_but_no_interval(tmp_path, budget_trials, read_page):
    final = {**_three_seeds([0.90, 0.91]), "seeds": [1, 2], "seconds_per_seed": [1.0, 2.0]}
    _, page = read_page(render_fullsize(_export(budget_trials, final), anchors={}, out_dir=tmp_path))
    text = " ".join(page.all_text.split())
    assert "min-max 0.9000-0.9100" in text and "No interval from fewer than 3 seeds." in text


def test_warm_start_and_scheduling_are_shown_when_the_study_has_them(tmp_path, budget_trials, read_page):
    exp = _export(budget_trials, _three_seeds([0.90, 0.91, 0.92]))
    exp = StudyExport.from_frames(exp.trials, None, {**exp.meta, "priors": PRIORS, "schedule": SCHEDULE})
    html, page = read_page(render_fullsize(exp, anchors=ANCHORS, out_dir=tmp_path))
    assert "Warm start" in page.headings and "Scheduling" in page.headings
    priors = html.split('id="T_priors"', 1)[1].split("</table>", 1)[0]
    assert "book defaults" in priors and "lr=0.001, optimizer=adam" in priors
    assert "study fm-1 trial &lt;17&gt;" in priors and "<17>" not in html
    box = html.split('id="T_box"', 1)[1].split("</table>", 1)[0]
    assert ">lr<" in box and "0.0001" in box and "0.1" in box
    text = " ".join(page.all_text.split())
    assert "(from study fm-1)" in text and "Start-up trials (before the sampler models the results): 8." in text
    assert "30 s, 90 s, 270 s, 810 s" in text and "asha-cost" in text and "900 s" in text
    assert "no trial starts that cannot reach its first rung before the deadline" in text


def test_an_old_export_renders_without_warm_start_or_scheduling(tmp_path, budget_trials, read_page):
    final = {"trial": 2, "value": 0.85, "retrain": "train", "n_train": 100, "n_search_train": 100,
             "train_seconds": 3.0, "test_acc": 0.9012, "n_test": 1000, "params": {"lr": 0.3}}
    _, page = read_page(render_fullsize(_export(budget_trials, final), anchors=ANCHORS, out_dir=tmp_path))
    assert "Warm start" not in page.headings and "Scheduling" not in page.headings
    text = " ".join(page.all_text.split())
    assert "Test accuracy 0.9012" in text and "One retraining seed" in text
    assert "5 of 5 slots ran" in text  # an export without slot counts: its rows are the slots


def test_the_subtitle_counts_slots_from_meta(tmp_path, budget_trials, read_page):
    exp = _export(budget_trials, None)
    exp = StudyExport.from_frames(exp.trials, None, {**exp.meta, "n_trials": 300, "slots_ran": 5,
                                                     "unused_slots": 295, "waiting_left_out": 295})
    _, page = read_page(render_fullsize(exp, anchors={}, out_dir=tmp_path, n_train=100))
    assert "5 of 300 slots ran (295 never started)" in page.all_text


def _checked(paid):
    final = _three_seeds([0.93, 0.931, 0.932])
    final["epochs"] = 40 if paid else 20
    final["length_check"] = {"factor": 2.0, "epochs": [20, 40], "seed": 101,
                             "values": [0.9301, 0.9345 if paid else 0.9312], "gain": 0.0044 if paid else 0.0011,
                             "min_gain": 0.002, "paid": paid,
                             "seconds": [500.0, 1000.0], "chosen_epochs": 40 if paid else 20}
    return final


def _text(read_page, final, budget_trials, tmp_path):
    _, page = read_page(render_fullsize(_export(budget_trials, final), anchors=ANCHORS, out_dir=tmp_path))
    return " ".join(page.all_text.split())


def test_the_length_check_and_the_retraining_length_are_on_the_page(tmp_path, budget_trials, read_page):
    text = _text(read_page, _checked(True), budget_trials, tmp_path)
    assert ("20 epochs 0.9301, 40 epochs 0.9345; the pick was retrained for 40 epochs, +0.0044 over its trial's 20"
            in text)
    assert "330 s (3 seeds, 40 epochs); length check 1500 s of training before it" in text
    text = _text(read_page, _checked(False), budget_trials, tmp_path)
    assert "20 epochs 0.9301, 40 epochs 0.9312; no longer run gained the margin 0.002, so the pick was retrained " \
           "for its trial's 20 epochs" in text
    assert "(3 seeds, 20 epochs)" in text


def test_a_ladder_of_lengths_is_on_the_page(tmp_path, budget_trials, read_page):
    final = _three_seeds([0.93, 0.931, 0.932])
    final["epochs"] = 14
    final["length_check"] = {"factor": 4.0, "epochs": [7, 14, 28], "seed": 101, "values": [0.9206, 0.9300, 0.9310],
                             "diverged": [False] * 3, "gain": 0.0094, "min_gain": 0.002, "paid": True,
                             "seconds": [200.0, 400.0, 800.0], "chosen_epochs": 14}
    text = _text(read_page, final, budget_trials, tmp_path)
    assert "7 epochs 0.9206, 14 epochs 0.9300, 28 epochs 0.9310; the pick was retrained for 14 epochs" in text
    assert "(3 seeds, 14 epochs); length check 1400 s of training before it" in text


def test_without_a_length_check_the_page_says_the_trial_length_was_kept(tmp_path, budget_trials, read_page):
    final = {**_three_seeds([0.93, 0.931, 0.932]), "epochs": 20, "length_check": None}
    text = _text(read_page, final, budget_trials, tmp_path)
    assert "Retrained for its trial's epochs (20): no length check ran." in text


def test_a_fixed_retraining_length_is_said_with_its_factor(tmp_path, budget_trials, read_page):
    final = {**_three_seeds([0.93, 0.931, 0.932]), "epochs": 40, "trial_epochs": 20, "length_check": None}
    text = _text(read_page, final, budget_trials, tmp_path)
    assert "Retrained for 40 epochs, 2 times its trial's 20, without a length check" in text


def test_with_the_flip_average_the_plain_test_scores_are_shown_and_set_beside_the_anchors(tmp_path, budget_trials,
                                                                                          read_page):
    final = {**_three_seeds([0.935, 0.936, 0.937]), "test_per_seed_plain": [0.933, 0.934, 0.932]}
    html, page = read_page(render_fullsize(_export(budget_trials, final), anchors=ANCHORS, out_dir=tmp_path))
    text = " ".join(page.all_text.split())
    assert "Scored with test-time flip averaging" in text
    assert "The same nets without it: mean 0.9330 (0.9330, 0.9340, 0.9320)" in text
    assert "this search (final pick without test-time flip averaging, mean of 3 seeds) 0.933" in text
    table = html.split('id="T_anchors"', 1)[1].split("</table>", 1)[0]
    assert "this search without flip averaging minus it" in table.split("</thead>", 1)[0]
    for name, acc in ANCHORS.items():  # the anchors were scored without it: both differences, in this order
        row = next(r for r in table.split("<tr")[1:] if html_escape(name) in r)
        assert row.index(f"{0.936 - acc:+.4f}") < row.index(f"{0.933 - acc:+.4f}")
    plain = _text(read_page, _three_seeds([0.935, 0.936, 0.937]), budget_trials, tmp_path)
    assert "flip averaging" not in plain


def test_candidates_revalidated_on_seeds_are_shown_with_how_the_pick_was_chosen(tmp_path, budget_trials, read_page):
    # final_pick(top=2): the pick is the better validation mean, not the better search score
    final = _three_seeds([0.93, 0.931, 0.932])
    cands = [{"study": "fs", "trial": 5, "search_value": 0.9389, "val_per_seed": [0.9301, 0.9310, 0.9320],
              "val_mean": 0.9310, "val_seconds": 300.0},
             {"study": "fs", "trial": 2, "search_value": 0.9352, "val_per_seed": [0.9374, 0.9350, 0.9360],
              "val_mean": 0.9361333, "val_seconds": 310.0}]
    final.update(candidates=cands, chosen=cands[1], trial=2, study="fs", value=0.9352)
    text = _text(read_page, final, budget_trials, tmp_path)
    assert ("validation score 0.9352 in the search; chosen among the 2 best by the mean validation score over 3 "
            "seed(s), trained again on the search's split: 0.9361, maximize") in text
    assert "best validation score" not in text
    assert "0.9374, 0.9350, 0.9360" in text and "0.9301, 0.9310, 0.9320" in text
    assert "2 candidates re-validated in 610 s before it" in text
    # a top-1 pick: no candidates table, the best search score
    text = _text(read_page, _three_seeds([0.93, 0.931, 0.932]), budget_trials, tmp_path)
    assert "best validation score 0.8500" in text and "Candidates, each trained again" not in text
