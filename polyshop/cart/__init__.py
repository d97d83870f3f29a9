"""The shopping cart: lines kept in the TTL store, priced from the catalog on every read."""
