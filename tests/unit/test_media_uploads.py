"""Upload URLs polyshop signs itself, and the in-memory cache of hot renditions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from polyshop.media.hot_blobs import HotBlobs
from polyshop.media.ports import BlobInfo
from polyshop.media.uploads import UploadRefused, UploadSigner, new_upload_id, upload_key

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def _parts(url: str) -> tuple[str, int, str]:
    split = urlsplit(url)
    query = parse_qs(split.query)
    return split.path.rsplit("/", 1)[1], int(query["expires"][0]), query["signature"][0]


def test_a_url_it_signed_verifies_until_it_expires() -> None:
    signer = UploadSigner("k" * 32)
    upload_id = new_upload_id()
    url = signer.url(upload_id, NOW + timedelta(minutes=15))
    assert url.startswith(f"/media/uploads/{upload_id}?")
    found, expires, signature = _parts(url)
    signer.verify(found, expires, signature, NOW)
    with pytest.raises(UploadRefused, match="expired"):
        signer.verify(found, expires, signature, NOW + timedelta(minutes=16))


def test_a_stretched_expiry_another_id_or_another_key_is_refused() -> None:
    signer = UploadSigner("k" * 32)
    upload_id = new_upload_id()
    _, expires, signature = _parts(signer.url(upload_id, NOW + timedelta(minutes=15)))
    with pytest.raises(UploadRefused, match="signature"):
        signer.verify(upload_id, expires + 3600, signature, NOW)
    with pytest.raises(UploadRefused, match="signature"):
        signer.verify(new_upload_id(), expires, signature, NOW)
    with pytest.raises(UploadRefused, match="signature"):
        UploadSigner("x" * 32).verify(upload_id, expires, signature, NOW)
    with pytest.raises(UploadRefused, match="signature"):  # not even ASCII: still a refusal
        UploadSigner("k" * 32).verify(upload_id, expires, "\x80" + signature[1:], NOW)


@pytest.mark.parametrize("bad", ["", "../../etc/passwd", "a/b", "short", "x" * 65, "sp ace" * 5])
def test_only_ids_it_makes_name_an_upload(bad: str) -> None:
    with pytest.raises(UploadRefused):
        upload_key(bad)
    with pytest.raises(UploadRefused):
        UploadSigner("k" * 32).verify(bad, 0, "0" * 64, NOW)


def _info(key: str, size: int) -> BlobInfo:
    return BlobInfo(key, size, "image/webp", NOW)


def test_hot_blobs_stay_within_their_budget_least_recently_used_first() -> None:
    hot = HotBlobs(budget_bytes=300, largest=200)
    for key in ("a", "b", "c"):
        hot.put(_info(key, 100), b"x" * 100)
    assert hot.get("a") is not None  # a is now the most recently used
    hot.put(_info("d", 100), b"x" * 100)
    assert hot.get("b") is None
    assert {k for k in "acd" if hot.get(k) is not None} == {"a", "c", "d"}
    assert hot.used_bytes == 300


def test_hot_blobs_never_hold_a_blob_larger_than_allowed_and_forget_evicted_ones() -> None:
    hot = HotBlobs(budget_bytes=1000, largest=200)
    hot.put(_info("big", 201), b"x" * 201)
    assert hot.get("big") is None
    hot.put(_info("small", 10), b"x" * 10)
    hot.evict("small")
    assert hot.get("small") is None
    assert hot.used_bytes == 0
