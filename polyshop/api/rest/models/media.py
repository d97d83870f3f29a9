"""Product image shapes of the REST API: what an upload answers, how an image is edited,
and the upload URLs for large files."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from polyshop.api.rest.models.catalog import ImageOut, no_null
from polyshop.api.rest.models.integers import Integer
from polyshop.api.rest.models.printable import Printable
from polyshop.catalog.images import MAX_IMAGES

Alt = Annotated[Printable, StringConstraints(strip_whitespace=True, max_length=300)]


def _position(schema: dict[str, Any]) -> None:
    """Absent or null: unchanged (last, for a new image). The upper bound the document
    gives is the most images a product holds; the product's own count is checked after."""
    no_null(schema)
    schema.update(minimum=0, maximum=MAX_IMAGES - 1)


def position_field() -> Any:
    return Field(
        default=None, description="Place among the images (0 = first).", json_schema_extra=_position
    )


class ImageWritten(BaseModel):
    product_id: str
    image: ImageOut
    position: int = Field(description="Where the change sits in the event log.")


class ImageChanged(BaseModel):
    product_id: str
    image_id: str
    position: int = Field(description="Where the change sits in the event log.")


class ImagePatch(BaseModel):
    """Any of: new alt text; a new place in the product's images (0 = first); `primary`
    true moves the image to the front (the primary image is always the first)."""

    model_config = ConfigDict(extra="forbid")
    alt: Alt | None = None
    position: Integer | None = position_field()
    primary: Literal[True] | None = None


class UploadStart(BaseModel):
    """What the client will PUT: its content type is signed into the URL."""

    model_config = ConfigDict(extra="forbid")
    content_type: Literal["image/jpeg", "image/png", "image/webp", "image/avif"]


class UploadStarted(BaseModel):
    upload_id: str
    url: str = Field(description="PUT the image's bytes here, with exactly `headers`.")
    method: Literal["PUT"]
    headers: dict[str, str]
    expires_at: datetime
    max_bytes: int


class UploadAttach(BaseModel):
    model_config = ConfigDict(extra="forbid")
    alt: Alt = ""
    position: Integer | None = position_field()
