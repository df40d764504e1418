"""The optional semantic layer of the FAQ matcher: `layer.py` (`Semantic`, the index per content
version and the scores), `embeddings.py` (the client of the county's OpenAI-compatible embeddings
server, EMBEDDINGS_URL) and `cache.py` (the vectors kept in a file between starts)."""
