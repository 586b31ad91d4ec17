"""Accounts: users, passwords, sessions, API tokens, CSRF, rate limits; their data access, service and routes."""
