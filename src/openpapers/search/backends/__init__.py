"""The retrieval backends: tantivy and PostgreSQL full-text for keywords, faiss and pgvector for vectors."""
