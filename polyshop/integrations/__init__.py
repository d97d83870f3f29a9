"""Integration events out: what happened in the shop, told to other systems."""
