"""Webhook rules: signatures a receiver can check, retries that back off, what may be
registered."""

from __future__ import annotations

import random

import pytest

from polyshop.integrations.webhook_rules import (
    MAX_ATTEMPTS,
    InvalidWebhook,
    checked_types,
    checked_url,
    public_address,
    retry_delay,
    sign,
    verify,
)


def test_a_signature_verifies_only_for_its_body_secret_and_time():
    header = sign("s3cret", 1_700_000_000, b'{"a":1}')
    assert header.startswith("t=1700000000,v1=")
    assert verify("s3cret", header, b'{"a":1}', now=1_700_000_100)
    assert not verify("s3cret", header, b'{"a":2}', now=1_700_000_100)
    assert not verify("other", header, b'{"a":1}', now=1_700_000_100)
    assert not verify("s3cret", header, b'{"a":1}', now=1_700_000_301)  # replayed later
    assert not verify("s3cret", "v1=abc", b'{"a":1}', now=1_700_000_000)
    assert not verify("s3cret", "t=x,v1=abc", b'{"a":1}', now=1_700_000_000)


def test_retries_back_off_exponentially_with_jitter_then_stop():
    rng = random.Random(7)
    delays = [retry_delay(n, rng) for n in range(1, MAX_ATTEMPTS)]
    assert all(d is not None for d in delays)
    bounds = [(5.0 * 2 ** (n - 1), 10.0 * 2 ** (n - 1)) for n in range(1, MAX_ATTEMPTS)]
    for delay, (low, high) in zip(delays, bounds, strict=True):
        assert delay is not None
        assert min(low, 1800) <= delay <= min(high, 3600)
    assert retry_delay(MAX_ATTEMPTS, rng) is None
    spread = {round(retry_delay(3, random.Random(seed)) or 0, 3) for seed in range(20)}
    assert len(spread) > 15  # jitter: receivers are not all retried in the same second


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/x",
        "file:///etc/passwd",
        "https://user:pw@example.com/",
        "http:///nohost",
        "https://example.com/" + "a" * 2000,
        "http://[::1",
    ],
)
def test_a_url_a_receiver_cannot_have_is_refused(url: str):
    with pytest.raises(InvalidWebhook) as refused:
        checked_url(url)
    assert refused.value.field == "url"


def test_event_types_are_names_or_everything():
    assert checked_types([" OrderPlaced", "OrderPaid", "OrderPlaced"]) == (
        "OrderPaid",
        "OrderPlaced",
    )
    assert checked_types([]) == () == checked_types(["*", "OrderPaid"])
    with pytest.raises(InvalidWebhook):
        checked_types(["order.placed"])


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("192.168.0.1", False),
        ("169.254.169.254", False),  # a cloud's metadata service
        ("::1", False),
        ("fd00::1", False),
        ("224.0.0.1", False),
        ("::ffff:127.0.0.1", False),  # IPv4-mapped
        ("64:ff9b::a9fe:a9fe", False),  # NAT64 of 169.254.169.254
        ("2002:0a00:0001::1", False),  # 6to4 of 10.0.0.1
        ("64:ff9b::808:808", True),  # NAT64 of 8.8.8.8
    ],
)
def test_only_public_addresses_receive_unless_allowed(address: str, public: bool):
    assert public_address(address) is public
