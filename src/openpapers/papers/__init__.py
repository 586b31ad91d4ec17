"""Papers: claims in, merged papers out; the paper store, ingest, export, and the feed/paper/entity pages."""
