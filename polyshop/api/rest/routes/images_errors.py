"""The media context's errors as problems (image uploads and edits)."""

from __future__ import annotations

from polyshop.api.rest.problems import Problem
from polyshop.api.rest.routes.products import catalog_problem
from polyshop.catalog.errors import ImageNotFound
from polyshop.media.images import ImageRejected
from polyshop.media.ports import BlobStoreUnavailable
from polyshop.media.service import (
    MediaBusy,
    UploadMissing,
    UploadRefused,
    UploadsUnavailable,
    UploadTooLarge,
)

_RETRY = {"Retry-After": "5"}


def media_problem(exc: Exception) -> Problem | None:
    match exc:
        case ImageRejected(reason="too-large"):
            return Problem(413, exc.detail, slug="image-too-large", title="Image too large")
        case ImageRejected():
            return Problem(422, exc.detail, slug=exc.reason, title="Image refused")
        case UploadTooLarge():
            return Problem(413, str(exc), slug="image-too-large", title="Image too large")
        case ImageNotFound():
            return Problem(404, str(exc), slug="image-not-found")
        case UploadMissing():
            return Problem(
                404,
                "No bytes wait under this upload id: PUT them to the upload URL first "
                "(each upload can be attached once, before it expires).",
                slug="upload-not-found",
            )
        case UploadRefused():
            return Problem(403, str(exc), slug="upload-url-refused")
        case UploadsUnavailable():
            return Problem(
                503,
                "Upload URLs are not available: set POLYSHOP_MEDIA_SIGNING_KEY or an S3 store.",
                slug="uploads-unavailable",
            )
        case MediaBusy():
            return Problem(503, "Every image worker is busy.", slug="media-busy", headers=_RETRY)
        case BlobStoreUnavailable():
            return Problem(
                503, "The image store is not answering.", slug="blob-store-down", headers=_RETRY
            )
    return catalog_problem(exc)
