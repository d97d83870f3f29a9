"""Prometheus figures beyond HTTP, read when scraped: each projection's lag, and what the
analytics recorder has taken, written, dropped and ignored."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from polyshop.analytics.recorder import SignalRecorder
from polyshop.eventstore.service import EventLog


class ProjectionLagCollector(Collector):
    def __init__(self, event_log: EventLog) -> None:
        self._event_log = event_log

    def collect(self) -> Iterator[GaugeMetricFamily]:
        events = GaugeMetricFamily(
            "polyshop_projection_lag_events", "Events not yet applied.", labels=["projection"]
        )
        seconds = GaugeMetricFamily(
            "polyshop_projection_lag_seconds",
            "Age of the oldest event not yet applied.",
            labels=["projection"],
        )
        failed = GaugeMetricFamily(
            "polyshop_projection_failed",
            "1 when the projection is stopped by a failing event.",
            labels=["projection"],
        )
        for status in self._event_log.list_projections():
            events.add_metric([status.name], status.lag_events)
            seconds.add_metric([status.name], status.lag_seconds)
            failed.add_metric([status.name], 1.0 if status.state == "failed" else 0.0)
        yield from (events, seconds, failed)
        yield from self._replicas()

    def _replicas(self) -> Iterator[GaugeMetricFamily]:
        states = self._event_log.list_replicas()
        if not states:
            return
        up = GaugeMetricFamily("polyshop_replica_up", "1 when the read replica answers.",
                               labels=["replica"])  # fmt: skip
        lag_seconds = GaugeMetricFamily(
            "polyshop_replica_lag_seconds",
            "0 when the replica has replayed everything, else seconds since its last replayed "
            "transaction.",
            labels=["replica"],
        )
        lag_bytes = GaugeMetricFamily(
            "polyshop_replica_lag_bytes", "WAL the replica has still to replay.", labels=["replica"]
        )
        for state in states:
            up.add_metric([state.name], 1.0 if state.up else 0.0)
            if state.up:
                lag_seconds.add_metric([state.name], state.lag_seconds or 0.0)
                lag_bytes.add_metric([state.name], float(state.lag_bytes or 0))
        yield from (up, lag_seconds, lag_bytes)


class SignalCollector(Collector):
    def __init__(self, recorder: SignalRecorder) -> None:
        self._recorder = recorder

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        r = self._recorder
        for name, text, value in (
            ("recorded", "Product views and cart additions recorded.", r.recorded),
            ("written", "Signals written to the analytics store.", r.written),
            ("dropped", "Signals dropped: the buffer was full (store down).", r.dropped),
            ("ignored", "Views of unknown or discontinued products, not recorded.", r.ignored),
        ):
            yield CounterMetricFamily(f"polyshop_signals_{name}", text, value=value)
        yield GaugeMetricFamily(
            "polyshop_signals_pending", "Signals buffered, not yet written.", value=r.pending()
        )
