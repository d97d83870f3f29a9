"""The catalog's door: browse, product pages and product writes, for every face.

A face (REST, GraphQL, the pages) translates its input to these calls and their answers
back; the rules behind them live here once. The service owns:
- the page cache (`page_cache`): a product page is rendered, cached and its view counted
  here, by the same methods the HTTP fast path (ahead of routing) calls;
- browse totals and whole listings, kept until what they show changes;
- the commands' transactions (`commands`), and its errors (`errors`).

Pages are kept as the bytes a face sends, so the service is handed the JSON form of a
document and of a listing (`ProductJson`) when it is built: one form per shop, since the
cache holds one page per product.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import Engine

from polyshop.catalog import commands, domain, image_commands, images, slugs, sql_products
from polyshop.catalog.commands import Written
from polyshop.catalog.domain import CatalogError, ProductDraft, is_product_id
from polyshop.catalog.domain import NewVariant as NewVariant
from polyshop.catalog.errors import ImageNotFound, ProductNotFound
from polyshop.catalog.images import GalleryImage, ProductImage
from polyshop.catalog.page_cache import ProductPageCache
from polyshop.catalog.queries import (
    Browse,
    ListingFacets,
    Sort,
    category_counts,
    get_product,
    get_products,
    list_products,
    listed_names,
    listing_facets,
    product_id_with_slug,
)
from polyshop.eventstore.ports import EventStore

#: The read model browse and product pages answer from (what `min_position` waits on).
READ_MODEL = "product_documents"
#: Keys of the pages faces render themselves, apart from the JSON listings' query strings.
_VIEW = b"view\x00"


class ProductJson(Protocol):
    """How a product document and a browse page are written as the JSON a face serves."""

    def page(self, document: dict[str, Any]) -> bytes: ...

    def listing(self, pages: list[bytes], total: int, page: int, limit: int) -> bytes:
        """A browse page: the product pages (already JSON) in order, and where they stand."""
        ...


class ViewCounter(Protocol):
    """Where product views go (analytics' signal recorder)."""

    def view(self, product_id: str, viewer: int | None) -> None: ...

    def ignore(self) -> None: ...


@dataclass(frozen=True, slots=True)
class NewProduct:
    name: str
    description: str
    brand: str
    category: str
    price: Decimal
    variants: Sequence[NewVariant]
    tags: Sequence[str] = ()
    attributes: Mapping[str, str] = field(default_factory=dict)
    images: Sequence[str] = ()


class Catalog:
    read_model = READ_MODEL

    def __init__(
        self,
        store: EventStore,
        documents: Engine,
        pages: ProductPageCache,
        views: ViewCounter,
        json: ProductJson,
        *,
        primary: Engine | None = None,
    ) -> None:
        """`primary` reads the write model outside a command (a product's images, for
        uploads and the garbage job): what committed a moment ago, never a lagging replica.
        The documents' engine when not given (one database, as in embedded mode)."""
        self._store = store
        self._documents = documents
        self._primary = primary or documents
        self.pages = pages
        self._views = views
        self._json = json

    # -- reads --------------------------------------------------------------------------

    def cached_page(self, product_id: str, viewer: int | None) -> bytes | None:
        """The product's page if it is cached, counted as a view (only pages of products on
        sale are cached); None otherwise. No I/O: safe on the event loop."""
        page = self.pages.get(product_id)
        if page is not None:
            self._views.view(product_id, viewer)
        return page

    def cached_listing(self, key: bytes) -> bytes | None:
        """A browse page kept under `key` (see `browse`), while what it shows is unchanged."""
        return self.pages.listing(key)

    def product_page(self, product_id: str, viewer: int | None) -> bytes:
        """The product's page read from its document (and cached); a view is counted for a
        product on sale. Raises ProductNotFound."""
        token = self.pages.token()
        doc = get_product(self._documents, product_id) if is_product_id(product_id) else None
        if doc is None:
            self._views.ignore()
            raise ProductNotFound(product_id)
        page = self._render(doc, token)
        if doc["status"] == domain.ACTIVE:
            self._views.view(product_id, viewer)
        else:
            self._views.ignore()  # a discontinued product: shown, not counted
        return page

    def product_document(self, product_id: str) -> dict[str, Any] | None:
        """The product's document as the read model holds it (no view counted)."""
        return get_product(self._documents, product_id) if is_product_id(product_id) else None

    def product_documents(self, product_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The documents of `product_ids` by id, in one query, no views counted (for a face
        resolving many products at once); unknown ids are left out."""
        wanted = list(dict.fromkeys(i for i in product_ids if is_product_id(i)))
        return {doc["id"]: doc for doc in get_products(self._documents, wanted)}

    def product_with_slug(self, slug: str) -> dict[str, Any] | None:
        """The document of the product on sale whose name slugs to `slug` (the storefront's
        URL rule), the oldest when names share it: a newer product never takes one over."""
        if slugs.slug_words(slug) is None:
            return None  # no name slugs to it: not worth a query
        found = product_id_with_slug(self._documents, slug)
        return None if found is None else get_product(self._documents, found)

    def listing(
        self, browse: Browse, *, limit: int, offset: int, fresh: bool = False
    ) -> tuple[list[dict[str, Any]], int]:
        """A browse page as documents, and the total (kept as `browse` keeps it, except
        for a `fresh` read that waits for its own write): for faces serving documents."""
        total_key, token = dataclasses.astuple(browse)[:-1], self.pages.token()
        known = None if fresh else self.pages.total(total_key)
        entries, total = list_products(
            self._documents, browse, limit=limit, offset=offset, known_total=known
        )
        if known is None:
            self.pages.put_total(total_key, total, token)
        return [doc for _, doc in entries if isinstance(doc, dict)], total

    def browse(self, browse: Browse, *, page: int, limit: int, key: bytes | None = None) -> bytes:
        """One browse page as JSON. With a `key` (the face's query string), the page is kept
        and served by `cached_listing(key)` until what it shows changes; without one (a read
        that waits for its own write), nothing cached is trusted: neither the total nor the
        product pages, which may predate the write until the invalidator catches up."""
        pages = self.pages
        fresh = key is None
        total_key = dataclasses.astuple(browse)[:-1]  # the total does not depend on the sort
        token = pages.token()
        known = None if fresh else pages.total(total_key)
        entries, total = list_products(
            self._documents,
            browse,
            limit=limit,
            offset=(page - 1) * limit,
            known_total=known,
            reuse=None if fresh else pages.rendered,
        )
        if known is None:
            pages.put_total(total_key, total, token)
        # Each product is rendered once and cached as its product page is (evicted by its
        # events); a listing is those pages joined, not twenty documents validated again.
        parts = [e if isinstance(e, bytes) else self._render(e, token) for _, e in entries]
        body = self._json.listing(parts, total, page, limit)
        if key is not None:  # served from memory next time, until what it shows changes
            pages.put_listing(
                key,
                body,
                [product_id for product_id, _ in entries],
                browse.sort is Sort.POPULAR,
                token,
            )
        return body

    # -- pages a face renders itself (the storefront's HTML) ------------------------------

    def categories(self) -> dict[str, int]:
        """Every category path (parents included) with its active products, those below it
        counted too, by path. Read once per change to what browse lists."""
        counts = self.pages.categories()
        if counts is None:
            token = self.pages.token()
            counts = {}
            for category, n in category_counts(self._documents).items():
                segments = category.split("/")
                for depth in range(1, len(segments) + 1):
                    path = "/".join(segments[:depth])
                    counts[path] = counts.get(path, 0) + n
            counts = dict(sorted(counts.items()))
            self.pages.put_categories(counts, token)
        return counts

    def facets(self, browse: Browse) -> ListingFacets:
        """Brand, price range and in-stock counts over everything `browse` lists."""
        return listing_facets(self._documents, browse)

    def listed(self, *, limit: int, offset: int) -> list[tuple[str, str]]:
        """(id, name) of the products on sale, in id order, a page at a time (sitemaps)."""
        return listed_names(self._documents, limit=limit, offset=offset)

    def page_token(self) -> int:
        """Take before reading what a face page shows; hand it to `keep_view`."""
        return self.pages.token()

    def cached_view(self, key: bytes) -> bytes | None:
        """A page a face kept with `keep_view`, while what it shows is unchanged."""
        return self.pages.listing(_VIEW + key)

    def keep_view(
        self,
        key: bytes,
        page: bytes,
        documents: Sequence[dict[str, Any]],
        *,
        popular: bool,
        token: int,
    ) -> None:
        """Keep a face's rendering of `documents` (product, listing or search pages) until
        the catalog or stock of one of them changes, or what browse lists does; `popular`
        when its order follows sales."""
        shown = {doc["id"]: [v["sku"] for v in doc["variants"]] for doc in documents}
        self.pages.put_shown(_VIEW + key, page, shown, popular, token)

    def viewed(self, product_id: str, viewer: int | None) -> None:
        """A view of a product on sale whose page a face rendered itself (or served from
        `cached_view`), counted as `product_page` counts one."""
        self._views.view(product_id, viewer)

    def _render(self, doc: dict[str, Any], token: int) -> bytes:
        """The product page of `doc`, kept in the page cache for product pages and listings.

        Only pages of products on sale are cached, so every cache hit is a view to count.
        """
        page = self._json.page(doc)
        if doc["status"] == domain.ACTIVE:
            self.pages.put(doc["id"], page, (v["sku"] for v in doc["variants"]), token)
        return page

    # -- writes -------------------------------------------------------------------------

    def create_product(self, product: NewProduct) -> Written:
        """A product with its variants and their initial stock, in one transaction.
        Raises CatalogError (a rule; `field` names the input) or DuplicateSku."""
        variants, stock = domain.new_variants(product.variants)
        draft = ProductDraft(
            name=product.name,
            description=product.description,
            brand=product.brand,
            category=product.category,
            price=product.price,
            variants=variants,
            tags=tuple(product.tags),
            attributes=dict(product.attributes),
            images=tuple(product.images),
        )
        return commands.create_product(self._store, draft, stock)

    def update_product(
        self, product_id: str, changes: Mapping[str, Any], expected_version: int | None = None
    ) -> Written:
        """Set the fields in `changes` (a changed price is its own event); `variants` in it
        are new variants (`NewVariant`) to add. A field given as None is refused: no field
        may be erased. With `expected_version` (`product_version` when the editor read the
        product), ProductChanged if it changed since, and nothing is written (two admins
        editing one product do not overwrite each other). Raises ProductNotFound,
        CatalogError, DuplicateSku or ProductChanged."""
        self._known(product_id)
        nulls = sorted(name for name, value in changes.items() if value is None)
        if nulls:
            raise CatalogError(nulls[0], "cannot be null; leave it out to keep it")
        new_variants, stock = domain.new_variants(changes.get("variants", ()))
        fields = {name: value for name, value in changes.items() if name != "variants"}
        written = commands.update_product(self._store, product_id, fields, expected_version)
        position = written.position
        for variant in new_variants:
            position = commands.add_variant(
                self._store, product_id, variant, stock[variant.sku]
            ).position
        return Written(product_id, position)

    def discontinue_product(self, product_id: str) -> Written:
        """The product leaves browse and search; its history stays. Raises ProductNotFound."""
        self._known(product_id)
        return commands.discontinue_product(self._store, product_id)

    # -- images (the uploads themselves are the media context's) ------------------------

    def add_image(
        self, product_id: str, image: ProductImage, position: int | None = None
    ) -> Written:
        """Add an uploaded image at `position` (None: last; 0: the new primary image).
        Raises ProductNotFound or CatalogError (too many images, a bad position, an id the
        product already has)."""
        self._known(product_id)
        return image_commands.add_image(self._store, product_id, image, position)

    def replace_image(self, product_id: str, image_id: str, image: ProductImage) -> Written:
        """New files for an image, kept in its place under `image_id` (`image.id` is not
        used). Raises ProductNotFound or ImageNotFound."""
        self._known(product_id)
        return image_commands.replace_image(self._store, product_id, image_id, image)

    def update_image(
        self,
        product_id: str,
        image_id: str,
        *,
        alt: str | None = None,
        position: int | None = None,
        primary: bool = False,
    ) -> Written:
        """New alt text, a new position, or `primary` (the same as position 0). Raises
        ProductNotFound, ImageNotFound or CatalogError."""
        self._known(product_id)
        if primary:
            if position not in (None, 0):
                raise CatalogError("position", "a primary image is at position 0")
            position = 0
        return image_commands.update_image(self._store, product_id, image_id, alt, position)

    def remove_image(self, product_id: str, image_id: str) -> Written:
        """Raises ProductNotFound or ImageNotFound. The blobs stay until the garbage job
        finds no image refers to them."""
        self._known(product_id)
        return image_commands.remove_image(self._store, product_id, image_id)

    def product_version(self, product_id: str) -> int | None:
        """The product's version in the write model (None: no such product): what an edit
        form carries, to be given back as `update_product`'s `expected_version`."""
        if not is_product_id(product_id):
            return None
        with self._primary.connect() as connection:
            return sql_products.product_version(connection, product_id)

    def images_of(self, product_id: str) -> list[GalleryImage]:
        """The product's images in order (the primary first), uploaded and external, from
        the write model. Raises ProductNotFound."""
        self._known(product_id)
        with self._primary.connect() as connection:
            gallery = sql_products.gallery_of(connection, product_id)
        if gallery is None:
            raise ProductNotFound(product_id)
        return gallery

    def image_of(self, product_id: str, image_id: str) -> ProductImage:
        """An uploaded image of the product, from the write model (so a write just made is
        seen). Raises ProductNotFound, or ImageNotFound (also for an external image)."""
        gallery = self.images_of(product_id)
        image = gallery[images.index_of(gallery, image_id)]
        if not isinstance(image, ProductImage):
            raise ImageNotFound(image_id)
        return image

    def referenced_image_keys(self) -> set[str]:
        """Every blob key (originals and renditions) an image of a product refers to, read
        from the write model in one query: what the garbage job must never remove."""
        with self._primary.connect() as connection:
            return sql_products.referenced_blob_keys(connection)

    @staticmethod
    def _known(product_id: str) -> None:
        if not is_product_id(product_id):
            raise ProductNotFound(product_id)
