"""One writer at a time per SQLite file in a process, in the order they asked (bot/delivery/sqlite_writes.py)."""

from __future__ import annotations

import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import text

from bot.delivery.outbox import NotStored, Outbox
from bot.delivery.sqlite_writes import TurnTakingConnection, WriteTurn, write_turn_for
from tests.unit.delivery.test_outbox import make_submission


def test_the_turn_goes_to_waiters_in_the_order_they_asked():
    turn = WriteTurn()
    assert turn.acquire(timeout=0)
    order: list[int] = []

    def wait_for_turn(n: int) -> None:
        assert turn.acquire(timeout=5)
        order.append(n)
        turn.release()

    waiters = []
    for n in range(4):
        waiter = threading.Thread(target=wait_for_turn, args=(n,))
        waiter.start()
        waiters.append(waiter)
        while len(turn._waiters) < n + 1:  # this one is queued before the next asks
            time.sleep(0.001)
    turn.release()
    for waiter in waiters:
        waiter.join()
    assert order == [0, 1, 2, 3]
    assert not turn.locked()


def test_a_waiter_gives_up_when_its_time_is_out_and_leaves_the_queue():
    turn = WriteTurn()
    assert turn.acquire(timeout=0)
    started = time.monotonic()
    assert not turn.acquire(timeout=0.1)
    assert 0.1 <= time.monotonic() - started < 1.0
    assert not turn._waiters
    turn.release()
    assert not turn.locked() and turn.acquire(timeout=0)


def _connect(path: str) -> TurnTakingConnection:
    connection = sqlite3.connect(path, factory=TurnTakingConnection, check_same_thread=False)
    connection.write_turn = write_turn_for(path)
    return connection


def test_a_connection_holds_the_turn_from_its_first_write_to_the_end_of_its_transaction(tmp_path):
    path = str(tmp_path / "turns.db")
    connection = _connect(path)
    turn = connection.write_turn
    connection.execute("CREATE TABLE sales (n INTEGER)")
    assert not turn.locked()  # DDL runs on its own: over at once
    connection.execute("SELECT * FROM sales").fetchall()
    assert not turn.locked()  # a read never takes it
    connection.execute("INSERT INTO sales VALUES (1)")
    assert turn.locked()
    connection.commit()
    assert not turn.locked()
    connection.cursor().execute("UPDATE sales SET n = 2")
    assert turn.locked()
    connection.rollback()
    assert not turn.locked()
    connection.executemany("INSERT INTO sales VALUES (?)", [(3,), (4,)])
    connection.close()  # a transaction left open: closing gives the turn back
    assert not turn.locked()
    same_file = _connect(str(tmp_path / "." / "turns.db"))
    assert same_file.write_turn is turn  # one turn per file
    same_file.close()


def test_a_connection_waits_for_the_turn_as_long_as_its_busy_timeout(tmp_path):
    path = str(tmp_path / "turns.db")
    holder, waiter = _connect(path), _connect(path)
    holder.execute("CREATE TABLE sales (n INTEGER)")
    holder.execute("INSERT INTO sales VALUES (1)")
    waiter.execute("PRAGMA busy_timeout = 200")
    started = time.monotonic()
    try:
        waiter.execute("INSERT INTO sales VALUES (2)")
        raise AssertionError("wrote while another connection of this process was writing")
    except sqlite3.OperationalError as error:
        assert "database is locked" in str(error)
    assert 0.2 <= time.monotonic() - started < 1.5
    holder.commit()
    waiter.execute("INSERT INTO sales VALUES (2)")
    waiter.commit()
    assert [row[0] for row in holder.execute("SELECT n FROM sales ORDER BY n")] == [1, 2]


def test_a_burst_of_stores_is_not_starved_by_the_background_writing_meanwhile(sqlite_url):
    """32 presses at a time, 200 in all, each allowed 0.3 s to save, while 8 background threads
    write in a loop. SQLite's own wait (sleep and retry) refused a few of them in every run
    (measured 4–7 of 200 at 0.2 s each); queued for the turn, none."""
    outbox = Outbox.from_url(sqlite_url)
    with outbox.engine.begin() as conn:
        conn.execute(text("CREATE TABLE busy (id INTEGER PRIMARY KEY, n INTEGER)"))
        conn.execute(text("INSERT INTO busy VALUES (1, 0)"))
    stop = threading.Event()

    def background() -> None:
        while not stop.is_set():
            with outbox.engine.begin() as conn:
                conn.execute(text("UPDATE busy SET n = n + 1 WHERE id = 1"))

    def press(n: int) -> str:
        try:
            outbox.store(make_submission(f"T1:V{n}"), timeout=0.3)
            return "stored"
        except NotStored:
            return "refused"

    writers = [threading.Thread(target=background) for _ in range(8)]
    for writer in writers:
        writer.start()
    try:
        with ThreadPoolExecutor(32) as pool:
            outcomes = list(pool.map(press, range(200)))
    finally:
        stop.set()
        for writer in writers:
            writer.join()
    assert outcomes.count("stored") == 200
    with outbox.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM logsale_sales")).scalar_one() == 200
        assert conn.execute(text("SELECT n FROM busy")).scalar_one() > 0  # the background wrote too
