"""Product images, for admins: upload (multipart, or a URL to PUT large files to), edit alt
text and order, replace, remove. Serving is `media_files`, ahead of routing."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, File, Form, Path, Query, Request, Response, UploadFile, status
from fastapi.concurrency import run_in_threadpool

from polyshop.api.rest.dependencies import AdminDep, ContainerDep
from polyshop.api.rest.models.catalog import ImageOut, no_null
from polyshop.api.rest.models.media import (
    Alt,
    ImageChanged,
    ImagePatch,
    ImageWritten,
    UploadAttach,
    UploadStart,
    UploadStarted,
)
from polyshop.api.rest.openapi import JSON_BODY, problems
from polyshop.api.rest.problems import Problem
from polyshop.api.rest.route_errors import translating
from polyshop.api.rest.routes.images_errors import media_problem
from polyshop.api.rest.routes.products import ProductId
from polyshop.catalog.images import MAX_IMAGES
from polyshop.container import Container
from polyshop.media.service import ImageWritten as Written
from polyshop.media.service import UploadTooLarge

router = APIRouter(tags=["media"], route_class=translating(media_problem))

#: The requests that carry an image, allowed the media byte limit (plus the form around it).
UPLOADS = (
    ("POST", re.compile(r"^/api/v1/products/[^/]+/images$")),
    ("PUT", re.compile(r"^/api/v1/products/[^/]+/images/[^/]+$")),
    ("PUT", re.compile(r"^/media/uploads/[^/]+$")),
)
FORM_OVERHEAD = 64 * 1024
_IMAGE_CONTENT: dict[str, dict[str, str]] = {
    t: {} for t in ("image/jpeg", "image/png", "image/webp", "image/avif")
}
BlobKey = Annotated[str, Path(description="`<sha-256>.<ext>`, as image URLs name it.")]

ImageId = Annotated[str, Path(description="The image's id, as `id` in the product document.")]
UploadId = Annotated[str, Path(description="The `upload_id` that started the upload.")]

_PRODUCT = (404, "No product (or no image) with this id.")
_REFUSED = (
    422,
    "The file is not an image polyshop takes (JPEG, PNG, WebP, AVIF), is damaged, or has "
    "more pixels than allowed; `type` says which.",
)
_TOO_LARGE = (413, "The file has more bytes than an image may have.")
_MULTIPART = (415, "The body is not multipart/form-data.")
_BAD_FORM = (400, "The multipart body cannot be read (a broken boundary or part).")


def _written(container: Container, product_id: str, written: Written) -> ImageWritten:
    view = container.media.view(written.image)
    return ImageWritten(
        product_id=product_id, image=ImageOut.model_validate(view), position=written.position
    )


def _file_bytes(container: Container, file: UploadFile) -> bytes:
    """The upload, read to one byte past the limit (more is never read into memory)."""
    limit = container.media.limits.max_bytes
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise UploadTooLarge(len(data), limit)
    return data


@router.post(
    "/api/v1/products/{product_id}/images",
    status_code=status.HTTP_201_CREATED,
    responses=problems(_BAD_FORM, 401, 403, _PRODUCT, _TOO_LARGE, _MULTIPART, _REFUSED, 503),
)
def upload_image(
    product_id: ProductId,
    file: Annotated[UploadFile, File(description="The image: JPEG, PNG, WebP or AVIF.")],
    container: ContainerDep,
    _: AdminDep,
    alt: Annotated[Alt, Form(description="Alternative text for people who cannot see it.")] = "",
    position: Annotated[
        int | None,
        Form(
            ge=0,
            le=MAX_IMAGES - 1,
            description="Place among the images (0 = first; absent: last).",
            json_schema_extra=no_null,
        ),
    ] = None,
) -> ImageWritten:
    """Add an image: validated, stripped of metadata, rendered in several widths and
    formats, stored, then added to the product (last, unless `position` says where)."""
    data = _file_bytes(container, file)
    written = container.media.upload(product_id, data, alt=alt, position=position)
    return _written(container, product_id, written)


@router.put(
    "/api/v1/products/{product_id}/images/{image_id}",
    responses=problems(_BAD_FORM, 401, 403, _PRODUCT, _TOO_LARGE, _MULTIPART, _REFUSED, 503),
)
def replace_image(
    product_id: ProductId,
    image_id: ImageId,
    file: Annotated[UploadFile, File(description="The new image.")],
    container: ContainerDep,
    _: AdminDep,
) -> ImageWritten:
    """New bytes for an image; its id, alt text and place stay."""
    data = _file_bytes(container, file)
    written = container.media.replace(product_id, image_id, data)
    return _written(container, product_id, written)


@router.patch(
    "/api/v1/products/{product_id}/images/{image_id}",
    responses=problems(*JSON_BODY, 401, 403, _PRODUCT, 503),
)
def edit_image(
    product_id: ProductId,
    image_id: ImageId,
    body: ImagePatch,
    container: ContainerDep,
    _: AdminDep,
) -> ImageChanged:
    """Alt text, place, or make it the primary (first) image."""
    written = container.media.update(
        product_id, image_id, alt=body.alt, position=body.position, primary=bool(body.primary)
    )
    return ImageChanged(product_id=product_id, image_id=image_id, position=written.position)


@router.delete(
    "/api/v1/products/{product_id}/images/{image_id}",
    responses=problems(401, 403, _PRODUCT, 503),
)
def remove_image(
    product_id: ProductId, image_id: ImageId, container: ContainerDep, _: AdminDep
) -> ImageChanged:
    """Remove the image from the product (its files are swept later)."""
    written = container.media.remove(product_id, image_id)
    return ImageChanged(product_id=product_id, image_id=image_id, position=written.position)


@router.post(
    "/api/v1/products/{product_id}/images/uploads",
    status_code=status.HTTP_201_CREATED,
    responses=problems(*JSON_BODY, 401, 403, _PRODUCT, 503),
)
def start_upload(
    product_id: ProductId, body: UploadStart, container: ContainerDep, _: AdminDep
) -> UploadStarted:
    """A URL to PUT a large image to (the object store's own where it can presign), then
    attach it with `POST …/images/uploads/{upload_id}`. The URL expires."""
    started = container.media.start_upload(product_id, body.content_type)
    return UploadStarted(
        upload_id=started.upload_id,
        url=started.url,
        method="PUT",
        headers=started.headers,
        expires_at=started.expires_at,
        max_bytes=started.max_bytes,
    )


@router.post(
    "/api/v1/products/{product_id}/images/uploads/{upload_id}",
    status_code=status.HTTP_201_CREATED,
    responses=problems(*JSON_BODY, 401, 403, _PRODUCT, _TOO_LARGE, _REFUSED, 503),
)
def attach_upload(
    product_id: ProductId,
    upload_id: UploadId,
    body: UploadAttach,
    container: ContainerDep,
    _: AdminDep,
) -> ImageWritten:
    """Turn the uploaded bytes into an image of the product, validated like any upload."""
    written = container.media.attach_upload(
        product_id, upload_id, alt=body.alt, position=body.position
    )
    return _written(container, product_id, written)


@router.put(
    "/media/uploads/{upload_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problems((403, "The URL's signature is wrong or it has expired."), _TOO_LARGE, 503),
)
async def receive_upload(
    upload_id: UploadId,
    request: Request,
    container: ContainerDep,
    expires: Annotated[int, Query(description="As handed out.")],
    signature: Annotated[str, Query(pattern="^[0-9a-f]{64}$", description="As handed out.")],
) -> None:
    """Where polyshop's own upload URLs point (when the blob store cannot presign): the
    signature in the URL is the authorisation."""
    data = await request.body()
    await run_in_threadpool(container.media.receive_upload, upload_id, expires, signature, data)


@router.get(
    "/media/{key}",
    response_class=Response,
    responses={
        200: {"description": "The blob.", "content": _IMAGE_CONTENT},
        206: {
            "description": "The byte range asked for (`Range`).",
            "content": _IMAGE_CONTENT,
        },
        304: {"description": "Not modified: the `If-None-Match` ETag is this blob's."},
        **problems((404, "No image is stored under this address.")),
        416: {"description": "The range starts past the blob's end."},
    },
)
def media_file(
    key: Annotated[str, Path(description="`<sha-256>.<ext>` as in image URLs.")],
) -> Response:
    """An image rendition or original by its content hash, with immutable caching, a strong
    ETag, 304 and Range. Served ahead of routing (`media_files`); only an address that names
    no stored blob reaches this route."""
    raise Problem(404, "No image is stored under this address.", slug="media-not-found")
