"""The blob store the settings choose. Part of the composition root: the one place that
names adapters.

An S3-compatible bucket when POLYSHOP_S3_BUCKET is set (in embedded and server mode alike);
otherwise files under `<data_dir>/media`, in server mode too: several processes on one
machine, or on a shared volume, then read and write the same files.
"""

from __future__ import annotations

from polyshop.config import Settings
from polyshop.media.fs_blobs import FileBlobStore
from polyshop.media.ports import BlobStore
from polyshop.media.s3_blobs import S3BlobStore

MEDIA_FOLDER = "media"


def public_base_url(settings: Settings) -> str | None:
    """Where browsers fetch blobs straight from the store: the CDN when one is named, else
    the bucket itself when it is public, else nowhere (polyshop serves them)."""
    if settings.media_base_url:
        return settings.media_base_url.rstrip("/")
    if not (settings.s3_public and settings.s3_bucket):
        return None
    if settings.s3_endpoint_url:
        return f"{settings.s3_endpoint_url.rstrip('/')}/{settings.s3_bucket}"
    return f"https://{settings.s3_bucket}.s3.{settings.s3_region}.amazonaws.com"


def open_blob_store(settings: Settings) -> BlobStore:
    """The store, not yet touched: the caller runs `check()` at start (for S3 it creates the
    bucket if missing, via `S3BlobStore.ensure_bucket`) and on every readiness probe."""
    if settings.s3_bucket:
        return S3BlobStore(
            settings.s3_bucket,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=settings.s3_secret_access_key,
            public_base_url=public_base_url(settings),
        )
    return FileBlobStore(settings.data_dir / MEDIA_FOLDER)
