"""Orders: checkout with strong inventory, an event-sourced lifecycle, payments, history."""
