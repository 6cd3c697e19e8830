"""The leaders' list files made from one formatting of the night's actions are, byte for byte,
the files made list by list."""

from __future__ import annotations

import pandas as pd

from pipeline.action_lists import HR_LIST, csv_bytes, list_files, list_frame, split_lists

NUMBERS = {"k1": "20001", "k2": "20002", "k3": "2000;3"}  # a value the CSV must quote


def actions(labels=("Dialogmøte 1", "Oppfølgingsplan", "Aktivitetskrav")) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "person_key": ["k1", "k2", "k3"],
            "leader": ["b@x.no", None, "a@x.no"],
            "unit_code": ["U1", None, "U2"],
            "case_from": pd.to_datetime(["2014-01-02", "2014-01-03", "2014-01-04"]),
            "milestone_no": [1, 2, 3],
            "label": list(labels),
            "due_date": pd.to_datetime(["2014-02-02", "2014-02-03", "2014-02-04"]),
            "deadline": pd.to_datetime(["2014-03-02", "2014-03-03", "2014-03-04"]),
            "action_status": ["due", "overdue", "overdue"],
        }
    )


def by_list(frame: pd.DataFrame) -> dict[str, bytes]:
    return {n: csv_bytes(list_frame(r, NUMBERS)) for n, r in split_lists(frame).items()}


def test_same_bytes_as_list_by_list():
    frame = actions()
    files = list_files(frame, split_lists(frame), NUMBERS)
    assert files == by_list(frame)
    assert set(files) == {"a@x.no", "b@x.no", HR_LIST}
    hr = files[HR_LIST].decode("utf-8-sig").split("\r\n")
    assert len(hr) == 4 and hr[-1] == ""  # header, the case without a leader, the overdue one
    assert hr[2].startswith('"2000;3";U2;04.01.2014')


def test_a_value_with_a_line_break_still_gives_the_same_bytes():
    frame = actions(labels=("Dialog\nmøte", "Oppfølgingsplan", "Aktivitetskrav"))
    assert list_files(frame, split_lists(frame), NUMBERS) == by_list(frame)
