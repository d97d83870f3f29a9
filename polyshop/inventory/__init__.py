"""Stock per SKU: exact, never negative, reserved inside the caller's transaction."""
