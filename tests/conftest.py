"""Suite-wide settings.

Imports index what they import; embedding costs ~0.1–0.3 s per paper on two cores, so CLI tests that import the
demo corpus many times would spend minutes embedding the same papers. Tests therefore default to keyword-only
indexing on import (``OPENPAPERS_EMBED_ON_IMPORT=0``); tests/search and test_cli's own import-indexing test cover
the embedding path explicitly.
"""

import os

os.environ.setdefault("OPENPAPERS_EMBED_ON_IMPORT", "0")
