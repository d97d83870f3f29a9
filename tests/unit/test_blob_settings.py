"""The composition root picks the blob store and its public URLs from the settings alone
(nothing is contacted until check())."""

from __future__ import annotations

from pathlib import Path

import pytest

from polyshop.bootstrap.blobs import open_blob_store
from polyshop.config import Settings
from polyshop.media.fs_blobs import FileBlobStore
from polyshop.media.s3_blobs import S3BlobStore


def test_settings_choose_files_unless_a_bucket_is_named(tmp_path: Path) -> None:
    store = open_blob_store(Settings(data_dir=tmp_path))
    assert isinstance(store, FileBlobStore)
    store.check()
    assert (tmp_path / "media").is_dir()


def test_settings_name_the_public_url_of_an_s3_blob(tmp_path: Path) -> None:
    common = {"data_dir": tmp_path, "s3_bucket": "shop-media", "s3_endpoint_url": "http://s3:8333"}
    proxied = open_blob_store(Settings(**common))  # type: ignore[arg-type]
    public = open_blob_store(Settings(**common, s3_public=True))  # type: ignore[arg-type]
    cdn = open_blob_store(
        Settings(**common, s3_public=True, media_base_url="https://cdn.example/m/")  # type: ignore[arg-type]
    )

    assert isinstance(proxied, S3BlobStore)
    assert proxied.public_url("ab.png") is None
    assert public.public_url("uploads/a b") == "http://s3:8333/shop-media/uploads/a%20b"
    assert cdn.public_url("ab.png") == "https://cdn.example/m/ab.png"
    for store in (proxied, public, cdn):
        store.close()


def test_a_public_bucket_on_aws_is_read_at_its_own_host(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, s3_bucket="shop-media", s3_region="eu-west-1")
    public = open_blob_store(settings.model_copy(update={"s3_public": True}))

    assert public.public_url("ab.png") == "https://shop-media.s3.eu-west-1.amazonaws.com/ab.png"
    public.close()


def test_a_bucket_name_s3_would_refuse_fails_at_start() -> None:
    with pytest.raises(ValueError, match="s3_bucket"):
        Settings(s3_bucket="Not_A_Bucket")
