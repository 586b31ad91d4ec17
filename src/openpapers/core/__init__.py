"""The vocabulary every feature shares: settings, typed errors, the paper records, the arXiv taxonomy."""
