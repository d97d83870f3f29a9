"""A product's images on its admin page: upload (multipart), alt text, order, primary,
remove. Each action is the media door's (`Media.upload`, `update`, `remove`), the one the
REST image routes call, so its checks (the file's type, size and pixels; a position in
range; alt text's length) are the same, and a refusal is shown beside the image or the
upload field with nothing changed.

The images are read from the write model (`Catalog.images_of`): an upload is in the list
the moment its page loads, whatever the read models' lag.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from polyshop.api.rest.routes.images_errors import media_problem
from polyshop.api.web.admin.access import AdminRefused
from polyshop.api.web.admin.catalog_forms import FileForm, Posted, ProductForm, uploaded, value
from polyshop.api.web.admin.catalog_list import PRODUCTS_PATH
from polyshop.api.web.admin.product_pages import back_to, document_or_404, render_product
from polyshop.api.web.admin.product_pages import values_of as form_values
from polyshop.catalog.domain import CatalogError
from polyshop.catalog.errors import ImageNotFound, ProductNotFound
from polyshop.catalog.images import MAX_ALT, MAX_IMAGES
from polyshop.container import Container
from polyshop.media.service import UploadTooLarge
from polyshop.runtime.correlation import acting_as

router = APIRouter(include_in_schema=False)


def _refusal(exc: Exception) -> str:
    """What to tell the admin: the REST problem's own sentence for a media refusal."""
    problem = media_problem(exc)
    if problem is None:
        raise exc
    if problem.status == 404 and isinstance(exc, ProductNotFound):
        raise AdminRefused(404, "No such product", "There is no product with this id.")
    return str(problem.detail)


@router.post(PRODUCTS_PATH + "/{product_id}/images")
def upload(request: Request, product_id: str, post: FileForm) -> Response:
    """Add the posted image last, with its alt text; a refusal shows beside the field."""
    container: Container = request.app.state.admin_pages.storefront.container
    doc = document_or_404(request, product_id)
    file = uploaded(post.form, "file")
    alt = value(post.form, "alt")
    error = "" if file is not None else "Choose an image file (JPEG, PNG, WebP or AVIF)."
    if file is not None:
        limit = container.media.limits.max_bytes
        data = file.file.read(limit + 1)
        try:
            if len(data) > limit:
                raise UploadTooLarge(len(data), limit)
            with acting_as(post.admin.viewer.actor):
                written = container.media.upload(product_id, data, alt=alt)
        except Exception as exc:  # the media refusals, each with its sentence
            error = _refusal(exc)
        else:
            return back_to(product_id, written.position, "image")
    typed = form_values(doc)
    return render_product(
        request, post.admin, typed, doc, 422, upload_error=error, upload_alt=alt[:MAX_ALT]
    )


def _act(container: Container, product_id: str, image_id: str, post: Posted) -> int:
    """The image action the form's button names, as the posting admin; its log position."""
    action, alt = value(post.form, "action"), value(post.form, "alt")
    with acting_as(post.admin.viewer.actor):
        if action == "remove":
            return container.media.remove(product_id, image_id).position
        if action == "primary":
            return container.media.update(product_id, image_id, primary=True).position
        place = value(post.form, "position").strip()
        if not (place.isascii() and place.isdigit() and 1 <= int(place) <= MAX_IMAGES):
            raise CatalogError("position", f"give a place from 1 (first) to {MAX_IMAGES}")
        moved = container.media.update(product_id, image_id, alt=alt, position=int(place) - 1)
        return moved.position


@router.post(PRODUCTS_PATH + "/{product_id}/images/{image_id}")
def edit(request: Request, product_id: str, image_id: str, post: ProductForm) -> Response:
    """`action`: save (alt text and place), primary, or remove; a refusal is shown beside
    the image, nothing changed."""
    container: Container = request.app.state.admin_pages.storefront.container
    doc = document_or_404(request, product_id)
    try:
        position = _act(container, product_id, image_id, post)
    except (CatalogError, ImageNotFound) as exc:
        message = str(exc) if isinstance(exc, CatalogError) else "This image is gone."
        return render_product(
            request,
            post.admin,
            form_values(doc),
            doc,
            422,
            image_errors={image_id: message},
            alts={image_id: value(post.form, "alt")[:MAX_ALT]},
        )
    return back_to(product_id, position, "images")
