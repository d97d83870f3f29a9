"""Delivery: REST (FastAPI); later GraphQL and the server-rendered web pages."""
