"""reports.pages.narrowing: the page of a range-narrowing run from a hand-made record (conftest's
narrowing_record) and the rounds' exports."""

from __future__ import annotations


def test_the_page_cites_the_book_and_gives_the_final_pick_a_roomy_card(tmp_path, make_export, narrowing_record):
    import json

    from reports import render_narrowing, write_export

    runs = tmp_path / "runs"
    for name in ("n-r1", "n-r2"):
        write_export(make_export(name), runs / name / "export")
    pick = {"study": "n-r2", "params": {"lr": 0.005, "weight_decay": 1e-6}, "search_value": 0.9, "val_mean": 0.88}
    final = {"chosen": pick, "candidates": [pick], "test_mean": 0.87, "test_per_seed": [0.86, 0.87, 0.88],
             "dataset": "mnist-5k"}
    (runs / "n").mkdir()
    (runs / "n" / "narrowing.json").write_text(json.dumps({**narrowing_record, "final": final}), encoding="utf-8")
    page = render_narrowing(runs / "n", render_rounds=False).read_text(encoding="utf-8")
    assert "Deep Learning from Scratch, section 6.5 (figure 6-24)" in page
    assert "figure 6-24 (Deep Learning from Scratch, section 6.5): validation accuracy solid" in page
    assert "(2.1)" not in page and "(2.5)" not in page and "top top" not in page
    assert '<div class="card wide"><h3>Final pick</h3>' in page
