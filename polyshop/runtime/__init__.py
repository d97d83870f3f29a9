"""Machinery the running shop is built from: group commit, periodic jobs, bulk loads, SQLite
files, the request's correlation id, logging and metrics. No context's rules live here."""
