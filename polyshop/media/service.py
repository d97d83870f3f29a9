"""The media door: images in (validated, rendered, stored, attached to a product), blobs out
(for serving), and blobs no image needs swept away.

An image is decoded and rendered before anything is stored, so a refused file leaves no
trace; its blobs are stored before the product's event is appended, so a document never
names a blob that is not there yet. What a crash between the two leaves behind (blobs no
image refers to) is what the garbage job removes after its grace period.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from polyshop.catalog.commands import Written
from polyshop.catalog.image_documents import uploaded_entry
from polyshop.catalog.images import ImageFile, MediaUrl, ProductImage
from polyshop.catalog.service import Catalog
from polyshop.media.blob_keys import content_type_for
from polyshop.media.hot_blobs import HotBlobs
from polyshop.media.images import decode
from polyshop.media.ports import BlobInfo, BlobNotFound, BlobStore
from polyshop.media.renditions import Rendered, Rendition, render
from polyshop.media.uploads import UploadRefused, UploadSigner, new_upload_id, upload_key
from polyshop.values.clock import utc_now
from polyshop.values.ids import new_id

__all__ = [
    "ImageWritten",
    "Media",
    "MediaBusy",
    "MediaLimits",
    "StartedUpload",
    "Swept",
    "UploadMissing",
    "UploadRefused",
    "UploadTooLarge",
    "UploadsUnavailable",
]

#: The keys browsers may fetch: a rendition or an original, named by the hash of its bytes.
_SERVED_KEY = re.compile(r"^[0-9a-f]{64}\.(jpg|png|webp|avif)$")


class MediaBusy(RuntimeError):
    """Every image worker is busy and stayed busy for the wait allowed: try again shortly."""


class UploadMissing(LookupError):
    """No bytes wait under that upload id (never uploaded, expired, or already attached)."""


class UploadTooLarge(ValueError):
    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"The upload holds {size} bytes; images may have at most {limit}.")


class UploadsUnavailable(RuntimeError):
    """Neither the blob store nor polyshop can hand out upload URLs (no signing key)."""


@dataclass(frozen=True, slots=True)
class MediaLimits:
    max_bytes: int
    max_pixels: int
    #: Seconds an upload URL stays valid.
    upload_expiry: float
    #: Seconds an unreferenced blob is kept before the garbage job may delete it.
    gc_grace: float
    #: Images decoded and rendered at once (each can hold hundreds of MB of pixels).
    workers: int = 2
    #: Seconds an upload waits for a free worker before it is told to come back.
    worker_wait: float = 30.0


@dataclass(frozen=True, slots=True)
class ImageWritten:
    image: ProductImage
    position: int


@dataclass(frozen=True, slots=True)
class StartedUpload:
    upload_id: str
    url: str
    method: str
    headers: dict[str, str]
    expires_at: datetime
    max_bytes: int


@dataclass(frozen=True, slots=True)
class Swept:
    deleted: int
    freed_bytes: int
    kept: int


class Media:
    def __init__(
        self,
        blobs: BlobStore,
        catalog: Catalog,
        limits: MediaLimits,
        *,
        signer: UploadSigner | None,
        hot: HotBlobs,
        url: MediaUrl,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.blobs = blobs
        self._url = url
        self._catalog = catalog
        self.limits = limits
        self._signer = signer
        self._hot = hot
        self._clock = clock
        self._workers = threading.BoundedSemaphore(limits.workers)

    # -- writes ---------------------------------------------------------------------------

    def upload(
        self, product_id: str, data: bytes, *, alt: str = "", position: int | None = None
    ) -> ImageWritten:
        """Validate, render and store `data`, then add it to the product's images."""
        self._catalog.images_of(product_id)  # an unknown product costs no decoding
        image = self._stored(new_id(), alt, data)
        written = self._catalog.add_image(product_id, image, position)
        return ImageWritten(image, written.position)

    def replace(self, product_id: str, image_id: str, data: bytes) -> ImageWritten:
        """New bytes for an image, keeping its id, alt text and place."""
        current = self._catalog.image_of(product_id, image_id)
        image = self._stored(image_id, current.alt, data)
        written = self._catalog.replace_image(product_id, image_id, image)
        return ImageWritten(image, written.position)

    def update(
        self,
        product_id: str,
        image_id: str,
        *,
        alt: str | None = None,
        position: int | None = None,
        primary: bool = False,
    ) -> Written:
        return self._catalog.update_image(
            product_id, image_id, alt=alt, position=position, primary=primary
        )

    def remove(self, product_id: str, image_id: str) -> Written:
        """The image leaves the product at once; its blobs go with the next sweep."""
        return self._catalog.remove_image(product_id, image_id)

    # -- uploads straight to the store ---------------------------------------------------

    def start_upload(self, product_id: str, content_type: str) -> StartedUpload:
        """Where to PUT a large image: the object store's presigned URL, else polyshop's."""
        self._catalog.images_of(product_id)
        upload_id = new_upload_id()
        expires_in = int(self.limits.upload_expiry)
        presigned = self.blobs.presigned_put(
            upload_key(upload_id), content_type, self.limits.max_bytes, expires_in
        )
        if presigned is not None:
            return StartedUpload(
                upload_id,
                presigned.url,
                presigned.method,
                presigned.headers,
                presigned.expires_at,
                self.limits.max_bytes,
            )
        if self._signer is None:
            raise UploadsUnavailable("no upload signing key is configured")
        expires_at = self._clock() + timedelta(seconds=expires_in)
        return StartedUpload(
            upload_id,
            self._signer.url(upload_id, expires_at),
            "PUT",
            {"Content-Type": content_type},
            expires_at,
            self.limits.max_bytes,
        )

    def receive_upload(self, upload_id: str, expires: int, signature: str, data: bytes) -> None:
        """The bytes of an upload URL polyshop signed itself."""
        if self._signer is None:
            raise UploadsUnavailable("no upload signing key is configured")
        self._signer.verify(upload_id, expires, signature, self._clock())
        if len(data) > self.limits.max_bytes:
            raise UploadTooLarge(len(data), self.limits.max_bytes)
        self.blobs.put(upload_key(upload_id), data, "application/octet-stream")

    def attach_upload(
        self, product_id: str, upload_id: str, *, alt: str = "", position: int | None = None
    ) -> ImageWritten:
        """Turn uploaded bytes into one of the product's images (validated like any other);
        the upload is gone afterwards, whether it was accepted or refused."""
        key = upload_key(upload_id)
        info = self.blobs.stat(key)
        if info is None:
            raise UploadMissing(upload_id)
        try:
            if info.size > self.limits.max_bytes:
                raise UploadTooLarge(info.size, self.limits.max_bytes)
            try:
                data = self.blobs.get(key)
            except BlobNotFound:
                raise UploadMissing(upload_id) from None
            return self.upload(product_id, data, alt=alt, position=position)
        finally:
            self.blobs.delete(key)

    # -- reads ---------------------------------------------------------------------------

    def view(self, image: ProductImage) -> dict[str, Any]:
        """The image as product documents show it (URLs, sizes, srcset per format)."""
        return uploaded_entry(image, self._url)

    @staticmethod
    def is_served_key(key: str) -> bool:
        return bool(_SERVED_KEY.match(key))

    def hot(self, key: str) -> tuple[BlobInfo, bytes] | None:
        """A blob kept in memory, with no I/O at all (safe on the event loop)."""
        return self._hot.get(key)

    def blob(self, key: str) -> tuple[BlobInfo, bytes | None] | None:
        """A served blob's facts, with its bytes when they are small enough to keep in
        memory (None: read them with `read_range`); None when no such blob exists."""
        if not self.is_served_key(key):
            return None
        hot = self._hot.get(key)
        if hot is not None:
            return hot
        info = self.blobs.stat(key)
        if info is None:
            return None
        # The type the extension names, whatever a store kept: a served key is an image.
        info = BlobInfo(key, info.size, content_type_for(key), info.modified)
        if info.size > self._hot.largest:
            return info, None
        try:
            data = self.blobs.get(key)
        except BlobNotFound:
            return None
        self._hot.put(info, data)
        return info, data

    def read_range(self, key: str, start: int, end: int) -> bytes:
        return self.blobs.read_range(key, start, end)

    def public_url(self, key: str) -> str | None:
        return self.blobs.public_url(key)

    # -- garbage --------------------------------------------------------------------------

    def collect_garbage(self) -> Swept:
        """Delete blobs older than the grace period that no live image refers to.

        Referenced keys are read twice, before and after listing the store, and a candidate's
        age is read again just before it goes: a blob that an upload wrote (or wrote again)
        meanwhile is younger than the grace period and stays.
        """
        cutoff = self._clock() - timedelta(seconds=self.limits.gc_grace)
        referenced = self._catalog.referenced_image_keys()
        candidates = [
            blob
            for blob in self.blobs.list()
            if blob.key not in referenced and blob.modified < cutoff
        ]
        referenced = self._catalog.referenced_image_keys()
        deleted = freed = 0
        for blob in candidates:
            current = self.blobs.stat(blob.key)
            if blob.key in referenced or current is None or current.modified >= cutoff:
                continue
            self.blobs.delete(blob.key)
            self._hot.evict(blob.key)
            deleted += 1
            freed += current.size
        return Swept(deleted, freed, len(referenced))

    # -- inside ---------------------------------------------------------------------------

    def _stored(self, image_id: str, alt: str, data: bytes) -> ProductImage:
        rendered = self._rendered(data)
        for rendition in (rendered.original, *rendered.renditions):
            self.blobs.put(rendition.key, rendition.data, rendition.content_type)
        return ProductImage(
            image_id,
            alt,
            _file(rendered.original),
            tuple(_file(r) for r in rendered.renditions),
        )

    def _rendered(self, data: bytes) -> Rendered:
        if not self._workers.acquire(timeout=self.limits.worker_wait):
            raise MediaBusy("every image worker is busy")
        try:
            decoded = decode(
                data, max_bytes=self.limits.max_bytes, max_pixels=self.limits.max_pixels
            )
            return render(decoded)
        finally:
            self._workers.release()


def _file(rendition: Rendition) -> ImageFile:
    return ImageFile(rendition.key, rendition.width, rendition.height, rendition.format)
