"""The team's reviewed news comments: found by file, row and digest; labelled, never assumed."""

from __future__ import annotations

import csv

import numpy as np

from mizan.models.data import REVIEWED_LABELS, Reviewed, read_reviewed, text_digest
from mizan.models.pipeline import HEADS
from mizan.models.train import IN_DOMAIN, REVIEWED, build_training_set

from .conftest import write_csv

NEWS = [
    "الحكومة لم تفعل شيئا للمدينة",
    "يا حمار انت ومن معك",
    "شكرا على التقرير",
    "الله يلعنكم كلكم",
    "متى يفتح الطريق",
]


def _files(tmp_path):
    news = [{"text": t, "label": "0", "task": "abuse", "lang": "ar"} for t in NEWS]
    labelled = [
        {"text": "يا كلب", "label": "1", "task": "abuse", "lang": "ar"},
        {"text": "صباح الخير", "label": "0", "task": "abuse", "lang": "ar"},
    ]
    return [
        write_csv(tmp_path / "ar_published_news.csv", news),
        write_csv(tmp_path / "ar_labelled_abuse.csv", labelled),
    ]


def _reviewed(row: int, label: int, text: str | None = None, file: str = "ar_published_news"):
    digest = text_digest(text if text is not None else NEWS[row])
    return Reviewed(file, row, digest, label, "insult" if label else "none", "high")


def test_reviewed_rows_carry_their_label_and_leave_the_assumed_negatives(tmp_path):
    files = _files(tmp_path)
    reviewed = [_reviewed(1, 1), _reviewed(2, 0), _reviewed(3, 1)]
    ts = build_training_set(files, seed=1, synthetic=False, reviewed=reviewed)
    ha = HEADS.index("abuse")
    file_of = np.asarray(ts.rows.file)
    rev = np.flatnonzero(file_of == REVIEWED)
    assert sorted(ts.rows.text[i] for i in rev) == sorted(NEWS[i] for i in (1, 2, 3))
    labels = {ts.rows.text[i]: ts.y[i, ha] for i in rev}
    assert labels == {NEWS[1]: 1.0, NEWS[2]: 0.0, NEWS[3]: 1.0}
    assert (ts.w[rev, ha] > 0).all()
    # the same texts no longer train the abuse head as label 0 of their published set
    news = np.flatnonzero(file_of == "ar_published_news")
    assumed = {ts.rows.text[i] for i in news if not np.isnan(ts.y[i, ha])}
    assert assumed == {NEWS[0], NEWS[4]}
    assert ts.groups[f"abuse:{REVIEWED}"] == {"neg": 1, "pos": 2}
    assert ts.stale_reviewed == 0


def test_a_row_whose_text_changed_is_left_out_and_counted(tmp_path):
    files = _files(tmp_path)
    reviewed = [_reviewed(1, 1, text="another comment"), _reviewed(2, 0), _reviewed(9, 1, text="x")]
    ts = build_training_set(files, seed=1, synthetic=False, reviewed=reviewed)
    assert [t for t, f in zip(ts.rows.text, ts.rows.file, strict=True) if f == REVIEWED] == [
        NEWS[2]
    ]
    assert ts.stale_reviewed == 2  # a changed text and a row past the end of the file


def test_rows_of_files_not_trained_on_are_skipped(tmp_path):
    files = _files(tmp_path)
    reviewed = [_reviewed(1, 1, file="ar_some_other_set")]
    ts = build_training_set(files, seed=1, synthetic=False, reviewed=reviewed)
    assert REVIEWED not in ts.rows.file
    assert ts.stale_reviewed == 0


def test_no_reviewed_rows_means_the_training_set_of_before(tmp_path):
    files = _files(tmp_path)
    a = build_training_set(files, seed=1, synthetic=False, reviewed=())
    b = build_training_set(files, seed=1, synthetic=False)  # the shipped file names no such rows
    assert a.rows.text == b.rows.text
    assert np.array_equal(a.w, b.w)


def test_the_shipped_labels_name_rows_never_texts():
    rows = read_reviewed(REVIEWED_LABELS)
    with open(REVIEWED_LABELS, newline="", encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    assert header == ["file", "row", "digest", "label", "fine_label", "confidence"]
    assert len(rows) >= 2000
    keys = [(r.file, r.row) for r in rows]
    assert len(set(keys)) == len(keys)
    # only the published news-comment sets; the annotated sample keeps its own labels
    assert {r.file for r in rows} <= {
        "ar_aoc_news_comments",
        "ar_cotterell_news_comments",
        "ar_hespress_news_comments",
    }
    assert IN_DOMAIN not in {r.file for r in rows}
    assert all(len(r.digest) == 16 for r in rows)
    assert {r.label for r in rows} == {0, 1}
    assert all((r.fine_label == "none") == (r.label == 0) for r in rows)
    assert {r.confidence for r in rows} <= {"high", "low"}
