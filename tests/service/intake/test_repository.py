"""Repository: group-committed intake keeps every row, and shares failures honestly."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError, OperationalError

from mizan.service.db import make_engine
from mizan.service.intake.repository import Repository, _Submission
from mizan.service.intake.usecase import new_comment_id
from mizan.service.tables import Comment


def row(i: int) -> dict:
    now = datetime.now(UTC)
    return {
        "id": new_comment_id(),
        "post_id": "p",
        "permalink": None,
        "parent_id": None,
        "root_id": None,
        "section": None,
        "author_name": f"n{i}",
        "author_url": None,
        "author_email_enc": "x",
        "author_email_hash": "h",
        "ip_enc": None,
        "ip_hash": None,
        "user_agent": None,
        "referrer": None,
        "accept_language": None,
        "body": f"b{i}",
        "status": "pending",
        "created_at": now,
        "updated_at": now,
        "decided_at": None,
        "enqueued_at": None,
        "metadata_erased_at": None,
    }


def test_concurrent_submissions_are_all_committed_before_returning(db_url):
    repo = Repository(make_engine(db_url))
    rows = [row(i) for i in range(60)]
    returned: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(12)

    def submit(chunk):
        start.wait()
        for r in chunk:
            try:
                repo.insert_comment(r)
                # Returning means committed: a fresh connection must see the row.
                with repo.engine.connect() as conn:
                    assert conn.execute(select(Comment.id).where(Comment.id == r["id"])).scalar()
                returned.append(r["id"])
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)

    threads = [threading.Thread(target=submit, args=(rows[i::12],)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sorted(returned) == sorted(r["id"] for r in rows)
    with repo.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Comment)).scalar_one() == 60
    repo.engine.dispose()


def test_a_duplicate_row_fails_alone(db_url):
    repo = Repository(make_engine(db_url))
    first = row(0)
    repo.insert_comment(first)
    # SQLAlchemy's IntegrityError on both databases (PostgreSQL's rows go to the driver directly).
    with pytest.raises(IntegrityError):
        repo.insert_comment(dict(first))
    repo.insert_comment(row(1))
    with repo.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Comment)).scalar_one() == 2
    repo.engine.dispose()


def test_a_duplicate_in_a_group_commit_fails_only_its_own_submitter(db_url):
    repo = Repository(make_engine(db_url))
    first = row(0)
    repo.insert_comment(first)
    batch = [_Submission(r, None) for r in (row(1), dict(first), row(2))]
    repo._gc_queue.extend(batch)  # as if three requests had queued behind one commit
    repo._gc_busy = True
    repo._commit_next_batch()
    assert [type(i.error) for i in batch] == [type(None), IntegrityError, type(None)]
    with repo.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Comment)).scalar_one() == 3
    repo.engine.dispose()


def test_a_connection_killed_under_a_submission_is_not_reused(pg_database):
    repo = Repository(make_engine(pg_database, pool_size=1))
    rows = [row(i) for i in range(3)]
    repo.insert_comment(rows[0])
    with repo.engine.connect() as conn:  # the pool's one connection
        pid = conn.connection.driver_connection.info.backend_pid
    with make_engine(pg_database, pool_size=0).connect() as other:
        other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    with pytest.raises(OperationalError):  # the pooled connection was the one killed
        repo.insert_comment(rows[1])
    repo.insert_comment(rows[2])  # a new connection, not the broken one
    with repo.engine.connect() as conn:
        stored = conn.execute(select(Comment.id).where(Comment.id.in_([r["id"] for r in rows])))
        assert sorted(stored.scalars()) == sorted([rows[0]["id"], rows[2]["id"]])
    repo.engine.dispose()


def test_database_down_reaches_every_waiting_submitter(tmp_path):
    repo = Repository(make_engine("postgresql+psycopg://postgres@127.0.0.1:1/none"))
    with pytest.raises(OperationalError):
        repo.insert_comment(row(0))
    # Leadership was released: the next submission tries again rather than hanging.
    with pytest.raises(OperationalError):
        repo.insert_comment(row(1))


def test_sqlite_writers_of_several_processes_take_turns_on_a_lock_file(sqlite_url):
    """The API's processes queue on a private lock file instead of SQLite's sleeping retries."""
    import fcntl
    import os
    import stat

    repo = Repository(make_engine(sqlite_url))
    repo.insert_comment(row(0))
    lock = repo._lock_path
    assert lock is not None and stat.S_IMODE(os.stat(lock).st_mode) == 0o600
    # Another process holding the lock (a separate open file: flock treats it as another owner).
    other = os.open(lock, os.O_RDWR)
    fcntl.flock(other, fcntl.LOCK_EX)
    done = threading.Event()
    worker = threading.Thread(target=lambda: (repo.insert_comment(row(1)), done.set()))
    worker.start()
    try:
        assert not done.wait(0.5)  # waits for its turn ...
    finally:
        fcntl.flock(other, fcntl.LOCK_UN)
        os.close(other)
    worker.join(10)
    assert done.is_set()  # ... and stores once the lock is free
    with repo.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Comment)).scalar_one() == 2
    repo.engine.dispose()
