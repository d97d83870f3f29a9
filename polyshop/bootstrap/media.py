"""Product media wired: the blob store, the media door over the catalog, the URL every read
model gives a blob, and the garbage sweep. Part of the composition root."""

from __future__ import annotations

from collections.abc import Callable

import structlog

from polyshop.bootstrap.blobs import open_blob_store, public_base_url
from polyshop.bootstrap.stores import secret
from polyshop.catalog.images import MediaUrl, media_path
from polyshop.catalog.service import Catalog
from polyshop.config import Settings
from polyshop.eventstore.projections.ports import Lease
from polyshop.media.hot_blobs import HotBlobs
from polyshop.media.ports import BlobStore, BlobStoreUnavailable
from polyshop.media.service import Media, MediaLimits
from polyshop.media.uploads import UploadSigner
from polyshop.runtime.periodic import Periodic, leased

log = structlog.get_logger(__name__)

#: Renditions up to this size are kept in memory for serving; larger blobs are streamed.
HOT_LARGEST = 1024 * 1024


def media_url(settings: Settings) -> MediaUrl:
    """How read models turn a blob key into a URL: the CDN's or bucket's when browsers may
    fetch from there, else polyshop's own /media/<key>. Changing it takes a rebuild of the
    product documents (`polyshop projections rebuild product_documents`)."""
    base = public_base_url(settings)
    if base is None:
        return media_path
    return lambda key: f"{base}/{key}"


def blob_store(settings: Settings, closers: list[Callable[[], None]]) -> BlobStore:
    """The store, checked once at start. An object store that is down only costs uploads
    and proxied images, so the shop starts anyway and readiness reports it."""
    blobs = open_blob_store(settings)
    closers.append(blobs.close)
    try:
        blobs.check()
    except BlobStoreUnavailable as exc:
        log.warning("the blob store is not answering; images cannot be uploaded", error=str(exc))
    return blobs


def media(
    settings: Settings,
    blobs: BlobStore,
    catalog: Catalog,
    lease_factory: Callable[[str], Lease],
) -> tuple[Media, Periodic]:
    """The media door, and the sweep of blobs no image refers to (one process at a time)."""
    key = secret(settings, "media_signing_key", "media-signing-key")
    door = Media(
        blobs,
        catalog,
        MediaLimits(
            max_bytes=settings.media_max_bytes,
            max_pixels=settings.media_max_pixels,
            upload_expiry=settings.media_upload_expiry,
            gc_grace=settings.media_gc_grace,
            workers=settings.media_workers,
        ),
        signer=UploadSigner(key) if key else None,
        hot=HotBlobs(settings.media_cache_bytes, largest=HOT_LARGEST),
        url=media_url(settings),
    )

    def sweep() -> None:
        swept = door.collect_garbage()
        if swept.deleted:
            log.info("media garbage swept", deleted=swept.deleted, freed_bytes=swept.freed_bytes)

    garbage = leased(
        "media-garbage", settings.media_gc_interval, sweep, lambda: lease_factory("media-garbage")
    )
    return door, garbage
