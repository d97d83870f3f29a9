"""The list convention of API.md: `page` from 1, `limit` 1..100, answers carry totals."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class PageParams(BaseModel):
    page: int = Field(default=1, ge=1, le=1_000_000, description="Which page, from 1.")
    limit: int = Field(default=20, ge=1, le=100, description="Entries per page.")

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit

    def envelope(self, total: int) -> dict[str, Any]:
        return {"total": total, "page": self.page, "pages": max(1, -(-total // self.limit))}


class Page(BaseModel):
    total: int = Field(description="Entries matching, on every page together.")
    page: int = Field(description="This page's number, from 1.")
    pages: int = Field(description="How many pages there are (at least 1).")
