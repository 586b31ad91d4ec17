"""Email digests: periods, content, composition, the exactly-once outbox, SMTP delivery, unsubscribe."""
