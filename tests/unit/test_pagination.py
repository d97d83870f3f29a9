import pytest
from pydantic import ValidationError

from polyshop.api.rest.pagination import PageParams


@pytest.mark.parametrize(
    ("total", "limit", "pages"), [(0, 20, 1), (1, 20, 1), (20, 20, 1), (21, 20, 2), (100, 7, 15)]
)
def test_pages_count_rounds_up_and_is_never_zero(total: int, limit: int, pages: int):
    assert PageParams(page=1, limit=limit).envelope(total)["pages"] == pages


def test_offset_and_bounds():
    assert PageParams(page=3, limit=10).offset == 20
    for bad in ({"page": 0}, {"limit": 0}, {"limit": 101}):
        with pytest.raises(ValidationError):
            PageParams(**bad)
