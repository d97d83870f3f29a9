"""Admin product images: the presigned upload flow, alt text and order, removal.

Bytes never travel through GraphQL: `startImageUpload` hands out a URL to PUT the image to
(the object store's presigned URL, or polyshop's own signed one, as REST's
`POST …/images/uploads` does), then `attachImageUpload` validates and renders it into one of
the product's images. Inputs are validated by REST's body models (`UploadStart`,
`UploadAttach`, `ImagePatch`), so both faces take and refuse the same values.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON

from polyshop.api.graphql.admin_access import (
    AdminInfo,
    admin_or_refusal,
    as_admin,
    parsed,
    refused_answer,
)
from polyshop.api.graphql.catalog_types import Image
from polyshop.api.graphql.context import blocking
from polyshop.api.graphql.errors import (
    Conflict,
    NotAllowed,
    NotFound,
    Refused,
    ValidationError,
)
from polyshop.api.rest.models.media import ImagePatch, UploadAttach, UploadStart
from polyshop.catalog.images import ProductImage
from polyshop.container import Container
from polyshop.media.service import ImageWritten as Written


@strawberry.type(description="Where to PUT a large image: send exactly `headers` with it.")
class ImageUploadStarted:
    upload_id: str = strawberry.field(description="Attach it with `attachImageUpload`.")
    url: str
    method: str = strawberry.field(description="Always `PUT`.")
    headers: JSON = strawberry.field(description="Header name to value, to send as they are.")
    expires_at: datetime
    max_bytes: int


@strawberry.type(description="An image added: pass `position` as `minPosition` to read it.")
class ImageAttached:
    product_id: strawberry.ID
    image: Image = strawberry.field(description="As product documents will show it.")
    position: int


@strawberry.type(description="An image changed or removed, and the log position of it.")
class ImageChanged:
    product_id: strawberry.ID
    image_id: strawberry.ID
    position: int


StartImageUploadResult = Annotated[
    ImageUploadStarted | ValidationError | NotFound | NotAllowed | Refused,
    strawberry.union("StartImageUploadResult"),
]
AttachImageUploadResult = Annotated[
    ImageAttached | ValidationError | NotFound | Conflict | NotAllowed | Refused,
    strawberry.union("AttachImageUploadResult"),
]
ImageChangeResult = Annotated[
    ImageChanged | ValidationError | NotFound | Conflict | NotAllowed | Refused,
    strawberry.union("ImageChangeResult"),
]


def _attached(container: Container, product_id: str, written: Written) -> ImageAttached:
    """The image as the product document will show it (primary: first in the gallery the
    write model holds now)."""
    gallery = container.catalog.images_of(product_id)
    first = gallery[0] if gallery else None
    primary = isinstance(first, ProductImage) and first.id == written.image.id
    return ImageAttached(
        product_id=strawberry.ID(product_id),
        image=Image.of(container.media.view(written.image), primary),
        position=written.position,
    )


@strawberry.type
class AdminImageMutation:
    @strawberry.mutation(
        description="Admins: a URL to PUT a large image to; then `attachImageUpload`. "
        "The URL expires."
    )
    async def start_image_upload(
        self, info: AdminInfo, product_id: strawberry.ID, content_type: str
    ) -> StartImageUploadResult:
        checked = await admin_or_refusal(info)
        if isinstance(checked, NotAllowed):
            return checked
        body = parsed(UploadStart, {"content_type": content_type})
        if isinstance(body, ValidationError):
            return body
        media = info.context.container.media
        try:
            started = await as_admin(
                checked, media.start_upload, str(product_id), body.content_type
            )
        except Exception as exc:  # a refusal REST knows becomes its typed result
            return refused_answer(exc)
        return ImageUploadStarted(
            upload_id=started.upload_id,
            url=started.url,
            method="PUT",
            headers=JSON(started.headers),
            expires_at=started.expires_at,
            max_bytes=started.max_bytes,
        )

    @strawberry.mutation(
        description="Admins: the uploaded bytes become an image of the product (last, "
        "unless `position` says where), validated like any upload; the upload is used up."
    )
    async def attach_image_upload(
        self,
        info: AdminInfo,
        product_id: strawberry.ID,
        upload_id: str,
        alt: str | None = strawberry.UNSET,
        position: int | None = strawberry.UNSET,
    ) -> AttachImageUploadResult:
        checked = await admin_or_refusal(info)
        if isinstance(checked, NotAllowed):
            return checked
        body = parsed(UploadAttach, _sent(alt=alt, position=position))
        if isinstance(body, ValidationError):
            return body
        container = info.context.container
        try:
            written = await as_admin(
                checked,
                container.media.attach_upload,
                str(product_id),
                upload_id,
                alt=body.alt,
                position=body.position,
            )
        except Exception as exc:
            return refused_answer(exc)
        return await blocking(_attached, container, str(product_id), written)

    @strawberry.mutation(
        description="Admins: new alt text, a new place among the images (0 = first), or "
        "`primary: true` to move it to the front."
    )
    async def update_image(
        self,
        info: AdminInfo,
        product_id: strawberry.ID,
        image_id: strawberry.ID,
        alt: str | None = strawberry.UNSET,
        position: int | None = strawberry.UNSET,
        primary: bool | None = strawberry.UNSET,
    ) -> ImageChangeResult:
        checked = await admin_or_refusal(info)
        if isinstance(checked, NotAllowed):
            return checked
        body = parsed(ImagePatch, _sent(alt=alt, position=position, primary=primary))
        if isinstance(body, ValidationError):
            return body
        media = info.context.container.media
        try:
            written = await as_admin(
                checked,
                media.update,
                str(product_id),
                str(image_id),
                alt=body.alt,
                position=body.position,
                primary=bool(body.primary),
            )
        except Exception as exc:
            return refused_answer(exc)
        return ImageChanged(product_id=product_id, image_id=image_id, position=written.position)

    @strawberry.mutation(description="Admins: the image leaves the product (files swept later).")
    async def remove_image(
        self, info: AdminInfo, product_id: strawberry.ID, image_id: strawberry.ID
    ) -> ImageChangeResult:
        checked = await admin_or_refusal(info)
        if isinstance(checked, NotAllowed):
            return checked
        media = info.context.container.media
        try:
            written = await as_admin(checked, media.remove, str(product_id), str(image_id))
        except Exception as exc:
            return refused_answer(exc)
        return ImageChanged(product_id=product_id, image_id=image_id, position=written.position)


def _sent(**arguments: Any) -> dict[str, Any]:
    """The arguments the operation gave (null included, as a JSON body sends it)."""
    return {name: value for name, value in arguments.items() if value is not strawberry.UNSET}
