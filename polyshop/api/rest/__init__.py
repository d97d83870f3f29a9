"""The JSON HTTP API under /api/v1, plus the ops endpoints at the root."""
