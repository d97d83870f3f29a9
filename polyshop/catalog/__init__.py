"""The catalog: products and their variants, written by admins, read through documents."""
