"""Short-lived data with a time to live (sessions, carts, counters): Redis or a SQL table."""
