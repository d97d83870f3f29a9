"""Analytics and recommendation bodies."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from polyshop.api.rest.models.catalog import ProductOut
from polyshop.api.rest.models.money import Amount


class PointOut(BaseModel):
    start: datetime
    views: int
    cart_adds: int
    units: int
    revenue: Amount


class ProductSeriesOut(BaseModel):
    product_id: str
    bucket: str
    start: datetime
    end: datetime
    currency: str
    points: list[PointOut]


class TrendOut(BaseModel):
    product_id: str
    name: str
    brand: str
    views: int
    previous_views: int
    #: Relative change against the window before; null when that window had no views.
    growth: float | None


class TrendingOut(BaseModel):
    window: str
    start: datetime
    end: datetime
    products: list[TrendOut]


class FunnelOut(BaseModel):
    product_id: str
    start: datetime
    end: datetime
    views: int
    cart_adds: int
    orders: int
    view_to_cart: float | None
    cart_to_order: float | None


class RecommendationOut(BaseModel):
    product: ProductOut
    score: float
    #: bought_together | viewed_together | similar
    reason: str


class RecommendationsOut(BaseModel):
    product_id: str
    recommendations: list[RecommendationOut]
