"""The server-mode analytics store: a PostgreSQL table partitioned by day, and an hourly
roll-up kept by the same writer in the same transaction.

Raw rows answer minute buckets and hour-long trending windows through a (product, kind,
time) index and a BRIN index on time (rows arrive in time order, so BRIN stays tight and
costs next to nothing to keep). Day-long questions read the roll-up: one row per product
per hour instead of one per view, which is what keeps "trending today" fast over tens of
millions of views. Old days are dropped by dropping their partition.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine

from polyshop.analytics.domain import Bucket, Kind, Signals, TimeRange, Trend, from_us, to_us
from polyshop.analytics.ports import MAX_PAIRS, CoViews

KIND_CODES = {Kind.VIEW: 0, Kind.CART_ADD: 1}
SETTLE_MARGIN = timedelta(seconds=30)
MAX_LEADERS = 100  # the most a trending query asks for (analytics.service.MAX_TRENDING)
HOUR_US = Bucket.HOUR.micros
DAY_US = Bucket.DAY.micros

SCHEMA = [
    "CREATE TABLE IF NOT EXISTS analytics_signals (kind smallint NOT NULL,"
    " product_id uuid NOT NULL, viewer bigint, seen_at timestamptz NOT NULL)"
    " PARTITION BY RANGE (seen_at)",
    "CREATE INDEX IF NOT EXISTS ix_analytics_signals_product"
    " ON analytics_signals (product_id, kind, seen_at)",
    "CREATE INDEX IF NOT EXISTS ix_analytics_signals_time"
    " ON analytics_signals USING brin (seen_at)",
    "CREATE TABLE IF NOT EXISTS analytics_hourly (kind smallint NOT NULL,"
    " product_id uuid NOT NULL, hour timestamptz NOT NULL, n bigint NOT NULL,"
    " PRIMARY KEY (kind, product_id, hour))",
    "CREATE INDEX IF NOT EXISTS ix_analytics_hourly_hour ON analytics_hourly (kind, hour)",
]


class PostgresAnalyticsStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._days: set[int] = set()  # partitions known to exist
        self._lock = threading.Lock()
        #: Trending totals of settled hours, by (previous start, start, settled until).
        self._settled: dict[tuple[datetime, datetime, datetime], _SettledTotals] = {}
        with engine.begin() as connection:
            _serialized(connection, "analytics-schema")
            for statement in SCHEMA:
                connection.exec_driver_sql(statement)

    def append(self, signals: Signals) -> None:
        if not len(signals):
            return
        codes = [KIND_CODES[kind] for kind in signals.kinds]
        hours = [at - at % HOUR_US for at in signals.at_us]
        hourly: Counter[tuple[int, str, int]] = Counter(
            zip(codes, signals.product_ids, hours, strict=True)
        )
        days = {at - at % DAY_US for at in hours}
        with self._engine.begin() as connection:
            created = self._ensure_partitions(connection, days)
            driver = connection.connection.driver_connection
            assert driver is not None
            with (
                driver.cursor() as cursor,
                cursor.copy(
                    "COPY analytics_signals (kind, product_id, viewer, seen_at) FROM STDIN"
                ) as copy,
            ):
                for row in zip(
                    codes,
                    signals.product_ids,
                    signals.viewers,
                    map(from_us, signals.at_us),
                    strict=True,
                ):
                    copy.write_row(row)
            # Sorted, so two processes' writers lock roll-up rows in one order: no deadlock.
            keys = sorted(hourly)
            connection.exec_driver_sql(
                "INSERT INTO analytics_hourly (kind, product_id, hour, n)"
                " SELECT * FROM unnest(%(k)s::smallint[], %(p)s::uuid[],"
                " %(h)s::timestamptz[], %(n)s::bigint[])"
                " ON CONFLICT (kind, product_id, hour)"
                " DO UPDATE SET n = analytics_hourly.n + excluded.n",
                {
                    "k": [k for k, _, _ in keys],
                    "p": [p for _, p, _ in keys],
                    "h": [from_us(h) for _, _, h in keys],
                    "n": [hourly[key] for key in keys],
                },
            )
        # Only now: a partition created by a transaction that rolled back does not exist.
        with self._lock:
            self._days |= created

    def _ensure_partitions(self, connection: Connection, days: set[int]) -> set[int]:
        """Create the day partitions this batch needs; returns the days, to be remembered
        once the transaction has committed."""
        missing = days - self._days
        if not missing:
            return missing
        _serialized(connection, "analytics-partitions")
        for day in sorted(missing):
            start = from_us(day)
            name = f"analytics_signals_{start:%Y%m%d}"
            connection.exec_driver_sql(
                f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF analytics_signals"
                f" FOR VALUES FROM ('{start.isoformat()}') TO"
                f" ('{(start + timedelta(days=1)).isoformat()}')"
            )
        return missing

    def series(self, kind: Kind, product_id: str, rng: TimeRange) -> dict[datetime, int]:
        params = {
            "w": rng.bucket.seconds,
            "k": KIND_CODES[kind],
            "p": product_id,
            "s": rng.start,
            "e": rng.end,
        }
        if rng.bucket is Bucket.MINUTE:
            sql = (
                "SELECT floor(extract(epoch FROM seen_at) / %(w)s)::bigint * %(w)s AS b,"
                " count(*) FROM analytics_signals WHERE product_id = %(p)s AND kind = %(k)s"
                " AND seen_at >= %(s)s AND seen_at < %(e)s GROUP BY b"
            )
        else:  # hour and day buckets are whole hours: the roll-up answers exactly
            sql = (
                "SELECT floor(extract(epoch FROM hour) / %(w)s)::bigint * %(w)s AS b,"
                " sum(n) FROM analytics_hourly WHERE kind = %(k)s AND product_id = %(p)s"
                " AND hour >= %(s)s AND hour < %(e)s GROUP BY b"
            )
        with self._engine.connect() as connection:
            rows = connection.exec_driver_sql(sql, params).all()
        return {datetime.fromtimestamp(b, UTC): int(n) for b, n in rows}

    def trending(
        self, start: datetime, end: datetime, previous_start: datetime, limit: int
    ) -> list[Trend]:
        if all(_whole_hour(t) for t in (start, end, previous_start)):
            return self._trending_by_hour(start, end, previous_start, limit)
        # The window's top products first; the window before only for those few, each an
        # index range: half the rows of aggregating both windows for every product.
        sql = (
            "WITH top AS (SELECT product_id, count(*) AS views FROM analytics_signals"
            " WHERE kind = 0 AND seen_at >= %(s)s AND seen_at < %(e)s GROUP BY product_id"
            " ORDER BY views DESC, product_id::text LIMIT %(n)s)"
            " SELECT product_id::text AS id, views, (SELECT count(*) FROM analytics_signals b"
            " WHERE b.kind = 0 AND b.product_id = top.product_id"
            " AND b.seen_at >= %(p)s AND b.seen_at < %(s)s) AS previous"
            " FROM top ORDER BY views DESC, id"
        )
        params = {"s": start, "e": end, "p": previous_start, "n": limit}
        with self._engine.connect() as connection:
            rows = connection.exec_driver_sql(sql, params).all()
        return [Trend(i, int(v), int(p)) for i, v, p in rows]

    def _trending_by_hour(
        self, start: datetime, end: datetime, previous_start: datetime, limit: int
    ) -> list[Trend]:
        """Whole-hour windows from the roll-up: the settled hours' totals are summed once
        and kept (they no longer change), and each call adds only the live hours' rows."""
        settled = min(max(_settled_until(), start), end)
        key = (previous_start, start, settled)
        with self._lock:
            totals = self._settled.get(key)
        with self._engine.connect() as connection:
            if totals is None:
                totals = _SettledTotals.load(connection, previous_start, start, settled)
                with self._lock:
                    if len(self._settled) >= 4:
                        self._settled.pop(next(iter(self._settled)))
                    self._settled[key] = totals
            rows = (
                connection.exec_driver_sql(
                    "SELECT product_id::text, sum(n) FROM analytics_hourly"
                    " WHERE kind = 0 AND hour >= %(s)s AND hour < %(e)s GROUP BY product_id",
                    {"s": settled, "e": end},
                ).all()
                if settled < end
                else []
            )
        live = {product_id: int(n) for product_id, n in rows}
        candidates = set(live) | set(totals.leaders[:limit])
        views = {p: totals.views.get(p, 0) + live.get(p, 0) for p in candidates}
        ranked = sorted((p for p in candidates if views[p] > 0), key=lambda p: (-views[p], p))
        return [Trend(p, views[p], totals.previous.get(p, 0)) for p in ranked[:limit]]

    def totals(self, product_id: str, start: datetime, end: datetime) -> dict[Kind, int]:
        with self._engine.connect() as connection:
            rows = connection.exec_driver_sql(
                "SELECT kind, count(*) FROM analytics_signals WHERE product_id = %(p)s"
                " AND seen_at >= %(s)s AND seen_at < %(e)s GROUP BY kind",
                {"p": product_id, "s": start, "e": end},
            ).all()
        by_code = {code: int(n) for code, n in rows}
        return {kind: by_code.get(code, 0) for kind, code in KIND_CODES.items()}

    def co_views(
        self,
        start: datetime,
        end: datetime,
        *,
        max_products_per_visit: int,
        max_pairs: int = MAX_PAIRS,
    ) -> CoViews:
        visits = (
            "WITH seen AS MATERIALIZED (SELECT DISTINCT viewer, product_id"
            " FROM analytics_signals WHERE kind = 0 AND viewer IS NOT NULL"
            " AND seen_at >= %(s)s AND seen_at < %(e)s),"
            " kept AS MATERIALIZED (SELECT * FROM seen WHERE viewer IN"
            " (SELECT viewer FROM seen GROUP BY viewer HAVING count(*) <= %(m)s)) "
        )
        params = {"s": start, "e": end, "m": max_products_per_visit, "n": max_pairs}
        with self._engine.connect() as connection:
            pairs = connection.exec_driver_sql(
                visits + "SELECT a.product_id::text, b.product_id::text, count(*)"
                " FROM kept a JOIN kept b ON a.viewer = b.viewer"
                " AND a.product_id <> b.product_id GROUP BY 1, 2"
                " ORDER BY 3 DESC, 1, 2 LIMIT %(n)s",
                params,
            ).all()
            counts = connection.exec_driver_sql(
                visits + "SELECT product_id::text, count(*) FROM kept GROUP BY 1", params
            ).all()
        return CoViews(
            pairs=[(a, b, int(n)) for a, b, n in pairs],
            visits={p: int(n) for p, n in counts},
        )

    def first_signal_at(self) -> datetime | None:
        with self._engine.connect() as connection:
            return connection.exec_driver_sql(
                "SELECT min(seen_at) FROM analytics_signals"
            ).scalar_one()

    def purge_before(self, cutoff: datetime) -> None:
        """Drops whole day partitions (no row-by-row delete, no bloat) and their roll-up."""
        day = Bucket.DAY.floor(cutoff)
        with self._engine.begin() as connection:
            _serialized(connection, "analytics-partitions")
            names = list(
                connection.exec_driver_sql(
                    "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                    " WHERE i.inhparent = 'analytics_signals'::regclass"
                ).scalars()
            )
            for name in names:
                started = datetime.strptime(name.rsplit("_", 1)[1], "%Y%m%d").replace(tzinfo=UTC)
                if started < day:
                    connection.exec_driver_sql(f"DROP TABLE {name}")
                    with self._lock:
                        self._days.discard(to_us(started))
            connection.exec_driver_sql(
                "DELETE FROM analytics_hourly WHERE hour < %(d)s", {"d": day}
            )

    def check(self) -> None:
        with self._engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")

    def close(self) -> None:
        """The engine belongs to the composition root, which disposes of it."""


class _SettledTotals:
    """Views per product over the settled hours of a window and over the window before."""

    def __init__(self, views: dict[str, int], previous: dict[str, int]) -> None:
        self.views = views
        self.previous = previous
        #: Product ids by settled views, most first: the only ones that can lead without
        #: live views of their own.
        self.leaders = sorted(views, key=lambda p: (-views[p], p))[:MAX_LEADERS]

    @classmethod
    def load(
        cls, connection: Connection, previous_start: datetime, start: datetime, settled: datetime
    ) -> _SettledTotals:
        rows = connection.exec_driver_sql(
            "SELECT product_id::text, coalesce(sum(n) FILTER (WHERE hour >= %(s)s), 0),"
            " coalesce(sum(n) FILTER (WHERE hour < %(s)s), 0) FROM analytics_hourly"
            " WHERE kind = 0 AND hour >= %(p)s AND hour < %(e)s GROUP BY product_id",
            {"p": previous_start, "s": start, "e": settled},
        ).all()
        return cls(
            {p: int(v) for p, v, _ in rows if v},
            {p: int(b) for p, _, b in rows if b},
        )


def _settled_until() -> datetime:
    """Hours before this one are complete: no writer still holds a view from them (batches
    are written within seconds; SETTLE_MARGIN leaves room for a slow one)."""
    return Bucket.HOUR.floor(datetime.now(UTC) - SETTLE_MARGIN)


def _serialized(connection: Connection, name: str) -> None:
    """Concurrent `CREATE ... IF NOT EXISTS` can still collide; one at a time, per name."""
    connection.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext(%(n)s))", {"n": name})


def _whole_hour(at: datetime) -> bool:
    return int(at.timestamp() * 1_000_000) % HOUR_US == 0
