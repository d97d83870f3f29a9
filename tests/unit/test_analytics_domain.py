from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from polyshop.analytics.domain import (
    MAX_POINTS,
    Bucket,
    RangeError,
    TimeRange,
    Trend,
    dense,
    span,
    viewer_key,
)

NOW = datetime(2026, 11, 25, 17, 42, 31, tzinfo=UTC)


def test_a_range_is_widened_to_whole_buckets():
    rng = TimeRange.of(NOW - timedelta(hours=2), NOW, Bucket.HOUR, NOW)

    assert rng.start == datetime(2026, 11, 25, 15, tzinfo=UTC)
    assert rng.end == datetime(2026, 11, 25, 18, tzinfo=UTC)
    assert len(rng.starts()) == 3


def test_the_default_range_is_the_last_day_or_a_hundred_days():
    assert TimeRange.of(None, None, Bucket.HOUR, NOW).starts()[0] == datetime(
        2026, 11, 24, 17, tzinfo=UTC
    )
    assert len(TimeRange.of(None, None, Bucket.DAY, NOW).starts()) == 101


def test_naive_and_offset_times_are_read_as_instants():
    naive = TimeRange.of(datetime(2026, 1, 1), datetime(2026, 1, 2), Bucket.DAY, NOW)
    plus_two = timezone(timedelta(hours=2))
    offset = TimeRange.of(
        datetime(2026, 1, 1, 2, tzinfo=plus_two),
        datetime(2026, 1, 2, 2, tzinfo=plus_two),
        Bucket.DAY,
        NOW,
    )

    assert naive == offset
    assert naive.start == datetime(2026, 1, 1, tzinfo=UTC)


def test_too_many_points_are_refused_naming_a_bucket_that_fits():
    ten_years = (datetime(2016, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC))

    with pytest.raises(RangeError, match="use bucket=day") as refused:
        TimeRange.of(*ten_years, Bucket.MINUTE, NOW)
    assert refused.value.field == "bucket"
    with pytest.raises(RangeError, match="shorter range"):
        TimeRange.of(datetime(1990, 1, 1, tzinfo=UTC), NOW, Bucket.DAY, NOW)
    # The current, unfinished minute is a bucket too.
    fits = TimeRange.of(NOW - timedelta(minutes=MAX_POINTS - 1), NOW, Bucket.MINUTE, NOW)
    assert len(fits.starts()) == MAX_POINTS


@pytest.mark.parametrize("bucket", list(Bucket))
def test_an_empty_or_inverted_range_is_refused(bucket: Bucket):
    with pytest.raises(RangeError):
        TimeRange.of(NOW, NOW, bucket, NOW)
    with pytest.raises(RangeError):
        span(NOW, NOW - timedelta(seconds=1), NOW, timedelta(days=1))


def test_dense_fills_every_bucket():
    rng = TimeRange.of(NOW - timedelta(minutes=3), NOW, Bucket.MINUTE, NOW)
    first = rng.starts()[1]

    assert [n for _, n in dense(rng, {first: 4})] == [0, 4, 0, 0]


def test_growth_is_relative_and_undefined_without_a_previous_window():
    assert Trend("p", 30, 20).growth == 0.5
    assert Trend("p", 5, 20).growth == -0.75
    assert Trend("p", 5, 0).growth is None


def test_a_viewer_key_is_stable_positive_and_not_the_token():
    key = viewer_key("token-a")

    assert key == viewer_key("token-a") != viewer_key("token-b")
    assert 0 <= key < 2**63


def test_growth_scales_the_window_before_by_how_far_the_window_has_run():
    # 23.5 hours into a day window: 235 views against 240 the day before is flat.
    assert Trend("p", 235, 240, elapsed=23.5 / 24).growth == 0.0
    assert Trend("p", 235, 0, elapsed=0.5).growth is None
