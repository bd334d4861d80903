"""repair_journal while another worker appends: a record appended between the check's seek and read must not
make a healthy journal look corrupt (it did: the tail then held two records)."""

from __future__ import annotations

import optuna

import hpsearch.storages.journal.lock as journal  # where repair_journal reads _tail_start
import hpsearch.storages.opener as st


def test_a_record_appended_during_the_check_is_not_corruption(tmp_path, monkeypatch):
    path = tmp_path / "journal.log"
    study = optuna.create_study(study_name="s", storage=st.open_storage(str(path)))
    study.set_user_attr("a", 1)
    last_line = path.read_bytes().splitlines(keepends=True)[-1]
    real = journal._tail_start

    def tail_start_then_another_writer_appends(fh, size):
        start = real(fh, size)
        with open(path, "ab") as other:
            other.write(last_line)
        return start

    monkeypatch.setattr(journal, "_tail_start", tail_start_then_another_writer_appends)
    assert journal.repair_journal(path) == 0
