"""The blob-store port's contract, held by both adapters: files on disk and an S3 bucket
(SeaweedFS under POLYSHOP_TEST_S3_URL; the run's own bucket, emptied after each test)."""

from __future__ import annotations

import hashlib
import os
import socket
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest

from polyshop.media.fs_blobs import FileBlobStore
from polyshop.media.ports import BlobNotFound, BlobStore, BlobStoreUnavailable
from polyshop.media.s3_blobs import IMMUTABLE, S3BlobStore

ESCAPING_KEYS = ["../x.png", "/etc/passwd", "a/../../x", "a\\b", "a\x00b", "", "a//b", ".tmp-x"]


def s3_store(s3: dict[str, str], bucket: str | None = None, **options: object) -> S3BlobStore:
    return S3BlobStore(
        bucket or s3["bucket"],
        endpoint_url=s3["endpoint_url"],
        access_key_id=s3["key_id"],
        secret_access_key=s3["secret"],
        **options,  # type: ignore[arg-type]
    )


@pytest.fixture(params=["files", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BlobStore]:
    if request.param == "files":
        yield FileBlobStore(tmp_path / "media")
        return
    s3: dict[str, str] = request.getfixturevalue("s3_bucket")
    blobs = s3_store(s3)
    try:
        yield blobs
    finally:
        for info in list(blobs.list()):
            blobs.delete(info.key)
        blobs.close()


def content_key(data: bytes, extension: str = "png") -> str:
    return f"{hashlib.sha256(data).hexdigest()}.{extension}"


def test_a_put_blob_reads_back_whole_with_its_size_type_and_time(store: BlobStore) -> None:
    data = os.urandom(70_000)
    key = content_key(data)
    before = datetime.now(UTC) - timedelta(seconds=5)

    put = store.put(key, data, "image/png")
    info = store.stat(key)

    assert store.get(key) == data
    assert info is not None
    assert put.size == info.size == len(data)
    assert (info.key, info.content_type) == (key, "image/png")
    assert before <= info.modified <= datetime.now(UTC) + timedelta(seconds=5)


def test_a_range_reads_the_bytes_asked_for_and_what_exists_past_the_end(
    store: BlobStore,
) -> None:
    data = bytes(range(256)) * 4
    key = content_key(data, "jpg")
    store.put(key, data, "image/jpeg")

    assert store.read_range(key, 0, 0) == data[:1]
    assert store.read_range(key, 100, 299) == data[100:300]
    assert store.read_range(key, 1000, 5000) == data[1000:]
    assert store.read_range(key, 1024, 2000) == b""
    with pytest.raises(ValueError, match="not a byte range"):
        store.read_range(key, 5, 4)


def test_a_missing_key_is_not_found_and_deleting_it_is_no_error(store: BlobStore) -> None:
    key = content_key(b"never stored")

    assert store.stat(key) is None
    with pytest.raises(BlobNotFound):
        store.get(key)
    with pytest.raises(BlobNotFound):
        store.read_range(key, 0, 10)
    store.delete(key)


def test_a_deleted_blob_is_gone_everywhere(store: BlobStore) -> None:
    data = b"short-lived"
    key = content_key(data, "webp")
    store.put(key, data, "image/webp")

    store.delete(key)

    assert store.stat(key) is None
    assert [info.key for info in store.list()] == []
    with pytest.raises(BlobNotFound):
        store.get(key)


def test_list_yields_every_blob_or_those_under_a_prefix(store: BlobStore) -> None:
    original = os.urandom(1000)
    store.put(content_key(original, "avif"), original, "image/avif")
    store.put("uploads/tok1", b"a" * 10, "application/octet-stream")
    store.put("uploads/tok2", b"b" * 20, "application/octet-stream")

    everything = {info.key: info for info in store.list()}
    uploads = {info.key: info.size for info in store.list("uploads/")}

    assert set(everything) == {content_key(original, "avif"), "uploads/tok1", "uploads/tok2"}
    assert everything[content_key(original, "avif")].content_type == "image/avif"
    assert everything[content_key(original, "avif")].size == 1000
    assert uploads == {"uploads/tok1": 10, "uploads/tok2": 20}
    assert list(store.list("nothing-here/")) == []


def test_putting_a_key_again_moves_its_modified_time(store: BlobStore) -> None:
    data = os.urandom(5000)
    key = content_key(data)
    store.put(key, data, "image/png")
    first = store.stat(key)
    time.sleep(1.1)  # S3's LastModified has whole seconds

    store.put(key, data, "image/png")
    second = store.stat(key)

    assert first is not None
    assert second is not None
    assert second.modified > first.modified
    assert store.get(key) == data


def test_a_reader_never_sees_half_a_blob_while_it_is_replaced(store: BlobStore) -> None:
    """Blobs of two sizes replace each other under one key while another thread reads it:
    every read is one of them, whole (or nothing, before the first put lands)."""
    small, large = b"s" * 300_000, b"L" * 1_200_000
    key = "uploads/replaced"
    done = threading.Event()
    seen: list[int] = []
    torn: list[int] = []

    def read() -> None:
        while not done.is_set():
            try:
                data = store.get(key)
            except BlobNotFound:
                continue
            seen.append(len(data))
            if data not in (small, large):
                torn.append(len(data))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for round_ in range(12):
            store.put(key, small if round_ % 2 else large, "application/octet-stream")
    finally:
        done.set()
        reader.join()

    assert seen
    assert torn == []
    assert store.get(key) == small


@pytest.mark.parametrize("key", ESCAPING_KEYS)
def test_a_key_that_could_escape_the_store_is_refused(store: BlobStore, key: str) -> None:
    for attempt in (
        lambda: store.put(key, b"x", "image/png"),
        lambda: store.get(key),
        lambda: store.stat(key),
        lambda: store.delete(key),
        lambda: store.read_range(key, 0, 1),
    ):
        with pytest.raises(ValueError, match="blob key"):
            attempt()
    assert list(store.list()) == []


def test_presigned_put_lets_a_client_upload_with_the_signed_type_only(store: BlobStore) -> None:
    presigned = store.presigned_put("uploads/direct", "image/png", 10_000, 300)
    if isinstance(store, FileBlobStore):
        assert presigned is None  # polyshop signs and receives embedded uploads itself
        return
    assert presigned is not None
    assert presigned.method == "PUT"
    assert presigned.expires_at > datetime.now(UTC) + timedelta(seconds=250)

    wrong = dict(presigned.headers, **{"Content-Type": "image/jpeg"})
    assert http(presigned.url, "PUT", b"\x89PNG fake", wrong) == 403
    assert store.stat("uploads/direct") is None
    assert http(presigned.url, "PUT", b"\x89PNG fake", presigned.headers) == 200

    info = store.stat("uploads/direct")
    assert info is not None
    assert (info.content_type, info.size) == ("image/png", 9)
    assert store.get("uploads/direct") == b"\x89PNG fake"


def http(url: str, method: str, body: bytes | None, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return error.code


def test_public_urls_exist_only_where_settings_name_a_base(store: BlobStore) -> None:
    key = content_key(b"public")
    assert store.public_url(key) is None
    with pytest.raises(ValueError, match="blob key"):
        store.public_url("../x")


def test_check_passes_on_a_store_that_answers(store: BlobStore) -> None:
    store.check()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(params=["files", "s3"])
def unavailable(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BlobStore]:
    """A store that cannot answer: a root that is a file, or an S3 endpoint where nothing
    listens."""
    if request.param == "files":
        (tmp_path / "media").write_bytes(b"a file where the root should be")
        yield FileBlobStore(tmp_path / "media")
        return
    dead = S3BlobStore(
        "nowhere",
        endpoint_url=f"http://127.0.0.1:{closed_port()}",
        access_key_id="x",
        secret_access_key="y",
        connect_timeout=1,
        max_attempts=1,
    )
    yield dead
    dead.close()


def test_a_store_that_does_not_answer_raises_unavailable(unavailable: BlobStore) -> None:
    key = content_key(b"lost")
    for attempt in (
        unavailable.check,
        lambda: unavailable.put(key, b"lost", "image/png"),
    ):
        with pytest.raises(BlobStoreUnavailable):
            attempt()
    if isinstance(unavailable, S3BlobStore):  # a file's absence is an answer on disk
        for read in (
            lambda: unavailable.get(key),
            lambda: unavailable.stat(key),
            lambda: list(unavailable.list()),
        ):
            with pytest.raises(BlobStoreUnavailable):
                read()


# The file store's own promises.


def test_files_fan_out_by_the_first_two_characters_and_leave_no_temporary(
    tmp_path: Path,
) -> None:
    store = FileBlobStore(tmp_path / "media")
    data = b"fan out"
    key = content_key(data)

    store.put(key, data, "image/png")
    store.put("uploads/Xy123", data, "application/octet-stream")

    files = sorted(str(p.relative_to(tmp_path / "media")) for p in (tmp_path / "media").rglob("*"))
    assert files == sorted(
        [key[:2], f"{key[:2]}/{key}", "uploads", "uploads/Xy", "uploads/Xy/Xy123"]
    )


def test_a_file_put_again_is_touched_not_rewritten(tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path / "media")
    data = b"same bytes"
    key = content_key(data)
    store.put(key, data, "image/png")
    path = tmp_path / "media" / key[:2] / key
    os.utime(path, (1_000_000_000, 1_000_000_000))
    inode = path.stat().st_ino

    info = store.put(key, data, "image/png")

    assert path.stat().st_ino == inode
    assert info.modified > datetime(2020, 1, 1, tzinfo=UTC)


def test_a_temporary_file_left_by_a_crash_is_not_a_blob(tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path / "media")
    data = b"whole"
    key = content_key(data)
    store.put(key, data, "image/png")
    (tmp_path / "media" / key[:2] / ".tmp-abc123").write_bytes(b"half")
    (tmp_path / "media" / "stray").write_bytes(b"not laid out as a blob")

    assert [info.key for info in store.list()] == [key]


def test_nothing_is_written_outside_the_root(tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path / "media")
    for key in ESCAPING_KEYS:
        with pytest.raises(ValueError, match="blob key"):
            store.put(key, b"x", "image/png")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


# The S3 store's own promises.


def test_content_addressed_objects_are_cacheable_for_good(s3_bucket: dict[str, str]) -> None:
    store = s3_store(s3_bucket)
    data = b"immutable"
    key = content_key(data)
    try:
        store.put(key, data, "image/png")
        store.put("uploads/tok", data, "application/octet-stream")
        client = boto3.client(
            "s3",
            endpoint_url=s3_bucket["endpoint_url"],
            region_name="us-east-1",
            aws_access_key_id=s3_bucket["key_id"],
            aws_secret_access_key=s3_bucket["secret"],
        )
        assert client.head_object(Bucket=store.bucket, Key=key)["CacheControl"] == IMMUTABLE
        assert "CacheControl" not in client.head_object(Bucket=store.bucket, Key="uploads/tok")
        client.close()
        # The server enforces its keys: an unsigned read of an object that exists is refused.
        url = f"{s3_bucket['endpoint_url']}/{store.bucket}/{key}"
        assert http(url, "GET", None, {}) == 403
    finally:
        store.delete(key)
        store.delete("uploads/tok")
        store.close()


def test_wrong_keys_make_the_store_unavailable(s3_bucket: dict[str, str]) -> None:
    store = s3_store(dict(s3_bucket, secret="not-the-secret"), max_attempts=1)
    with pytest.raises(BlobStoreUnavailable):
        store.check()
    with pytest.raises(BlobStoreUnavailable):
        store.get(content_key(b"x"))
    store.close()


def test_check_creates_a_missing_bucket(s3_bucket: dict[str, str]) -> None:
    store = s3_store(s3_bucket, bucket=f"polyshop-test-{uuid.uuid4().hex[:12]}")
    try:
        store.check()
        store.put("uploads/first", b"1", "application/octet-stream")
        assert store.get("uploads/first") == b"1"
    finally:
        store.delete("uploads/first")
        store._client.delete_bucket(Bucket=store.bucket)
        store.close()
