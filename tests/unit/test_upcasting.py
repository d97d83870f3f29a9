"""Upcasters are pure functions over event data: no store needed to test them."""

import pytest

from polyshop.eventstore.upcasting import Upcasters


def test_steps_apply_in_order_from_the_stored_version():
    upcasters = Upcasters()
    upcasters.register("Renamed", 1)(lambda d: {"name": d["title"]})
    upcasters.register("Renamed", 2)(lambda d: {**d, "locale": "en"})

    assert upcasters.upcast("Renamed", 1, {"title": "Mug"}) == (3, {"name": "Mug", "locale": "en"})
    assert upcasters.upcast("Renamed", 2, {"name": "Mug"}) == (3, {"name": "Mug", "locale": "en"})
    assert upcasters.upcast("Renamed", 3, {"name": "Mug"}) == (3, {"name": "Mug"})
    assert upcasters.upcast("Other", 1, {"x": 1}) == (1, {"x": 1})
    assert upcasters.current_version("Renamed") == 3
    assert upcasters.current_version("Other") == 1


def test_registering_a_step_twice_is_refused():
    upcasters = Upcasters()
    upcasters.register("E", 1)(lambda d: d)

    with pytest.raises(ValueError, match="already exists"):
        upcasters.register("E", 1)(lambda d: d)
