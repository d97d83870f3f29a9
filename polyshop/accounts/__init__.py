"""Accounts: users, their roles, sessions and login throttling."""
