"""One contract for the analytics store, run against DuckDB (embedded) and PostgreSQL
(server), plus the batch recorder's guarantees on the real stores."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from polyshop.analytics.domain import Bucket, Kind, Signal, Signals, TimeRange, to_us
from polyshop.analytics.duckdb_store import DuckDbAnalyticsStore
from polyshop.analytics.ports import AnalyticsStore
from polyshop.analytics.postgres_store import PostgresAnalyticsStore
from polyshop.analytics.recorder import SignalRecorder
from polyshop.eventstore.postgres import create_postgres_engine

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
A, B, C, D = (str(uuid.UUID(int=i)) for i in range(1, 5))


@pytest.fixture(params=["duckdb", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AnalyticsStore]:
    if request.param == "duckdb":
        duck = DuckDbAnalyticsStore(tmp_path / "analytics.duckdb")
        yield duck
        duck.close()
        return
    engine = create_postgres_engine(request.getfixturevalue("postgres_url"), pool_size=4)
    yield PostgresAnalyticsStore(engine)
    engine.dispose()


def append(store: AnalyticsStore, signals: list[Signal]) -> None:
    store.append(Signals.of(signals))


def view(product: str, at: datetime, viewer: int | None = 1) -> Signal:
    return Signal(Kind.VIEW, product, viewer, to_us(at))


def add(product: str, at: datetime, viewer: int | None = 1) -> Signal:
    return Signal(Kind.CART_ADD, product, viewer, to_us(at))


def test_series_counts_each_kind_per_bucket(store: AnalyticsStore):
    append(
        store,
        [
            view(A, T0 + timedelta(minutes=1)),
            view(A, T0 + timedelta(minutes=1, seconds=30)),
            view(A, T0 + timedelta(minutes=59)),
            view(A, T0 + timedelta(hours=1, minutes=5)),
            view(B, T0 + timedelta(minutes=1)),
            add(A, T0 + timedelta(minutes=2)),
        ],
    )
    minutes = TimeRange.of(T0, T0 + timedelta(hours=2), Bucket.MINUTE, T0)
    hours = TimeRange.of(T0, T0 + timedelta(hours=2), Bucket.HOUR, T0)
    days = TimeRange.of(T0 - timedelta(days=1), T0 + timedelta(days=1), Bucket.DAY, T0)

    assert store.series(Kind.VIEW, A, minutes) == {
        T0 + timedelta(minutes=1): 2,
        T0 + timedelta(minutes=59): 1,
        T0 + timedelta(hours=1, minutes=5): 1,
    }
    assert store.series(Kind.VIEW, A, hours) == {T0: 3, T0 + timedelta(hours=1): 1}
    assert store.series(Kind.VIEW, A, days) == {datetime(2026, 11, 20, tzinfo=UTC): 4}
    assert store.series(Kind.CART_ADD, A, hours) == {T0: 1}
    assert store.series(Kind.VIEW, C, hours) == {}


def test_series_keeps_to_the_range(store: AnalyticsStore):
    append(
        store, [view(A, T0 - timedelta(minutes=1)), view(A, T0), view(A, T0 + timedelta(hours=1))]
    )

    rng = TimeRange.of(T0, T0 + timedelta(hours=1), Bucket.MINUTE, T0)

    assert store.series(Kind.VIEW, A, rng) == {T0: 1}


def test_trending_ranks_by_views_with_the_window_before(store: AnalyticsStore):
    start, end, before = T0, T0 + timedelta(hours=1), T0 - timedelta(hours=1)
    append(
        store,
        [view(A, start + timedelta(minutes=i)) for i in range(3)]
        + [view(B, start + timedelta(minutes=i)) for i in range(5)]
        + [view(B, before + timedelta(minutes=i)) for i in range(10)]
        + [view(C, before + timedelta(minutes=1))]  # seen only before: not trending now
        + [add(D, start + timedelta(minutes=1)) for _ in range(9)]  # not a view
        + [view(A, end)],  # after the window
    )

    trends = store.trending(start, end, before, limit=10)

    assert [(t.product_id, t.views, t.previous_views) for t in trends] == [(B, 5, 10), (A, 3, 0)]
    assert trends[0].growth == -0.5
    assert trends[1].growth is None
    assert [t.product_id for t in store.trending(start, end, before, limit=1)] == [B]


def test_trending_over_whole_hours_equals_trending_over_raw_views(store: AnalyticsStore):
    """PostgreSQL answers whole-hour windows from its roll-up: it must agree with the rows."""
    signals = [
        view(A if i % 3 else B, T0 - timedelta(hours=30) + timedelta(minutes=7 * i))
        for i in range(600)
    ]
    append(store, signals)
    end = T0 + timedelta(hours=1)
    start = end - timedelta(days=1)
    aligned = store.trending(start, end, start - timedelta(days=1), limit=5)
    # One microsecond off the hour takes the raw path; no view sits in that microsecond.
    nudge = timedelta(microseconds=1)
    raw = store.trending(start - nudge, end, start - timedelta(days=1) - nudge, limit=5)

    assert [(t.product_id, t.views, t.previous_views) for t in aligned] == [
        (t.product_id, t.views, t.previous_views) for t in raw
    ]
    assert sum(t.views for t in aligned) == sum(
        1 for s in signals if to_us(start) <= s.at_us < to_us(end)
    )


def test_totals_count_every_kind(store: AnalyticsStore):
    append(store, [view(A, T0), view(A, T0), add(A, T0), view(B, T0)])

    assert store.totals(A, T0, T0 + timedelta(minutes=1)) == {Kind.VIEW: 2, Kind.CART_ADD: 1}
    assert store.totals(C, T0, T0 + timedelta(minutes=1)) == {Kind.VIEW: 0, Kind.CART_ADD: 0}


def test_co_views_pair_products_seen_in_one_visit_and_skip_crawlers(store: AnalyticsStore):
    crawler = [view(str(uuid.UUID(int=100 + i)), T0, viewer=99) for i in range(6)]
    append(
        store,
        [
            *(view(A, T0, viewer=1), view(B, T0, viewer=1), view(A, T0, viewer=1)),  # A: once
            *(view(A, T0, viewer=2), view(B, T0, viewer=2), view(C, T0, viewer=2)),
            *(view(D, T0, viewer=None), view(A, T0, viewer=None)),  # no session: no visit
            view(C, T0 + timedelta(hours=1), viewer=1),  # outside the window
            *crawler,
        ],
    )

    co = store.co_views(T0, T0 + timedelta(minutes=30), max_products_per_visit=5)

    assert sorted(co.pairs) == sorted(
        [(A, B, 2), (B, A, 2), (A, C, 1), (C, A, 1), (B, C, 1), (C, B, 1)]
    )
    assert co.visits == {A: 2, B: 2, C: 1}
    assert store.first_signal_at() == T0


def test_an_empty_store_answers_empty(store: AnalyticsStore):
    rng = TimeRange.of(T0, T0 + timedelta(hours=1), Bucket.HOUR, T0)
    assert store.series(Kind.VIEW, A, rng) == {}
    assert store.trending(T0, T0 + timedelta(hours=1), T0 - timedelta(hours=1), 5) == []
    assert store.first_signal_at() is None
    co = store.co_views(T0, T0 + timedelta(hours=1), max_products_per_visit=5)
    assert (co.pairs, co.visits) == ([], {})


def test_a_clean_shutdown_writes_every_buffered_signal(store: AnalyticsStore):
    recorder = SignalRecorder(store, interval=3600)  # the writer would not wake by itself
    recorder.start()
    for _ in range(2500):
        recorder.view(A, 7)
    recorder.cart_add(A, 7)

    recorder.close()

    now = datetime.now(UTC)
    assert store.totals(A, now - timedelta(minutes=5), now + timedelta(minutes=1)) == {
        Kind.VIEW: 2500,
        Kind.CART_ADD: 1,
    }
    assert (recorder.written, recorder.pending()) == (2501, 0)


def test_the_writer_flushes_within_its_interval(store: AnalyticsStore):
    recorder = SignalRecorder(store, interval=0.05)
    recorder.start()
    try:
        recorder.view(B, None)
        deadline = datetime.now(UTC) + timedelta(seconds=5)
        while recorder.written == 0 and datetime.now(UTC) < deadline:
            pass
        assert recorder.written == 1
    finally:
        recorder.close()


class _Failing:
    def __init__(self, store: AnalyticsStore) -> None:
        self.store = store
        self.fail = True

    def append(self, signals: Signals) -> None:
        if self.fail:
            raise ConnectionError("store down")
        self.store.append(signals)


def test_a_failed_batch_is_kept_and_written_once_the_store_is_back(store: AnalyticsStore):
    flaky = _Failing(store)
    recorder = SignalRecorder(flaky, interval=3600, capacity=3)  # type: ignore[arg-type]
    for _ in range(3):
        recorder.view(A, 1)
    recorder.view(A, 1)  # over capacity: dropped and counted

    with pytest.raises(ConnectionError):
        recorder.flush()
    flaky.fail = False
    recorder.flush()

    now = datetime.now(UTC)
    assert store.totals(A, now - timedelta(minutes=5), now + timedelta(minutes=1))[Kind.VIEW] == 3
    assert (recorder.dropped, recorder.failed_batches, recorder.written) == (1, 1, 3)


def test_a_flush_that_fails_midway_keeps_only_what_was_not_written(
    store: AnalyticsStore, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr("polyshop.analytics.recorder.CHUNK", 2)
    flaky = _Failing(store)
    flaky.fail = False
    calls: list[int] = []

    def fail_second(signals: Signals) -> None:
        calls.append(len(signals))
        if len(calls) == 2:
            raise ConnectionError("store down")
        store.append(signals)

    flaky.append = fail_second  # type: ignore[method-assign]
    recorder = SignalRecorder(flaky, interval=3600)  # type: ignore[arg-type]
    for _ in range(5):
        recorder.view(B, 1)

    with pytest.raises(ConnectionError):
        recorder.flush()
    assert (recorder.written, recorder.pending()) == (2, 3)
    recorder.flush()

    now = datetime.now(UTC)
    assert store.totals(B, now - timedelta(minutes=5), now + timedelta(minutes=1))[Kind.VIEW] == 5
    assert calls == [2, 2, 2, 1]  # written, failed, then the three kept


def test_trending_over_whole_hours_sees_views_of_the_current_hour_at_once(
    store: AnalyticsStore,
):
    """Settled hours may be summed once and kept; the current hour never is."""
    now = datetime.now(UTC)
    end = Bucket.HOUR.floor(now) + timedelta(hours=1)
    start = end - timedelta(days=1)
    append(store, [view(A, start + timedelta(hours=2)), view(A, now), view(B, now)])
    first = store.trending(start, end, start - timedelta(days=1), limit=5)

    append(store, [view(B, now), view(B, now)])
    second = store.trending(start, end, start - timedelta(days=1), limit=5)

    assert [(t.product_id, t.views) for t in first] == [(A, 2), (B, 1)]
    assert [(t.product_id, t.views) for t in second] == [(B, 3), (A, 2)]


def test_retention_forgets_whole_days_before_the_cutoff(store: AnalyticsStore):
    old, kept, today = T0 - timedelta(days=3), T0 - timedelta(days=1), T0
    append(store, [view(A, old), view(A, old + timedelta(hours=1)), view(A, kept), view(A, today)])
    week = TimeRange.of(T0 - timedelta(days=5), T0 + timedelta(hours=1), Bucket.HOUR, T0)

    store.purge_before(T0 - timedelta(days=2, hours=-3))  # mid-day: that day stays whole
    store.purge_before(T0 - timedelta(days=2))  # twice is harmless

    assert sum(store.series(Kind.VIEW, A, week).values()) == 2
    assert store.first_signal_at() == kept
    append(store, [view(A, old)])  # a late view of a forgotten day is stored again
    assert sum(store.series(Kind.VIEW, A, week).values()) == 3
