"""Outgoing email: SMTP delivery (:mod:`mail`) and the digests built on it."""
