"""A load holds its staging tables the way Redshift's LOCK does: readers wait until it commits.

The local loader once serialised loads with an advisory lock, which readers never see: dbt
could read a day half replaced locally, never on Redshift ("LOCK", Amazon Redshift Database
Developer Guide). These tests stop a real load inside its transaction and read as dbt.
"""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
from flightline_glue.storage import LocalStorage
from flightline_glue.warehouse.base import StagedAirports, StagedDay
from flightline_glue.warehouse.postgres import PostgresLoader


class _PausedStorage(LocalStorage):
    """Local files; opening `pause_on` waits until the test lets the load go on."""

    def __init__(self, root, pause_on: str) -> None:
        super().__init__(root)
        self.pause_on = pause_on
        self.paused = threading.Event()
        self.go_on = threading.Event()

    def open_binary(self, uri: str):
        if uri == self.pause_on:
            self.paused.set()
            assert self.go_on.wait(60), "the test never let the load go on"
        return super().open_binary(uri)


def _read_blocked(dbt_url: str, table: str) -> bool:
    """Whether dbt's read of `table` has to wait for a lock (lock_timeout turns the wait
    into an error instead of a hang)."""
    with psycopg.connect(dbt_url, autocommit=True) as conn:
        conn.execute("set lock_timeout = '200ms'")
        try:
            conn.execute(f"select count(*) from {table}").fetchone()
        except psycopg.errors.LockNotAvailable:
            return True
    return False


def _staged_files(tmp_path):
    flights, airports = tmp_path / "flights.csv", tmp_path / "airports.csv"
    flights.write_bytes(b"")
    airports.write_bytes(b"")
    return str(flights), str(airports)


@pytest.mark.parametrize("load", ["day", "airports"])
def test_readers_wait_for_a_load_in_progress(tmp_path, pg_database, load):
    flights, airports = _staged_files(tmp_path)
    storage = _PausedStorage(tmp_path, pause_on=airports)
    loader = PostgresLoader(pg_database.login("loader").url, storage)
    dbt_url = pg_database.login("dbt").url
    assert not _read_blocked(dbt_url, "staging.airports")  # nothing holds it yet
    if load == "day":
        staged = StagedDay(dt.date(2024, 1, 1), "r1", str(tmp_path), (flights,), "", (airports,))
        run = loader.load_day
        held = ["staging.flights", "staging.airports"]
    else:
        staged = StagedAirports("r1", "", (airports,))
        run = loader.load_airports
        held = ["staging.airports"]
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(run, staged)
        try:
            assert storage.paused.wait(30), "the load never reached the airports file"
            assert [_read_blocked(dbt_url, table) for table in held] == [True] * len(held)
        finally:
            storage.go_on.set()
        pending.result(timeout=60)
    assert [_read_blocked(dbt_url, table) for table in held] == [False] * len(held)
