"""The append-only event log every write goes through, and the projections that read it."""
