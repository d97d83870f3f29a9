"""Prometheus figures beyond HTTP: each projection's lag, read when scraped."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from polyshop.eventstore.projections.runner import ProjectionRunner


class ProjectionLagCollector(Collector):
    def __init__(self, runner: ProjectionRunner) -> None:
        self._runner = runner

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
        for status in self._runner.status():
            events.add_metric([status.name], status.lag_events)
            seconds.add_metric([status.name], status.lag_seconds)
            failed.add_metric([status.name], 1.0 if status.state == "failed" else 0.0)
        yield from (events, seconds, failed)
