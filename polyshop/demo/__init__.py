"""The demo catalog `polyshop serve` and `polyshop seed` fill an empty shop with."""
