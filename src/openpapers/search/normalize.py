"""Text normalisation shared by the indexes and the highlighter.

Both keyword backends index composed text, and the highlighter must mark the same text they analysed, or a word
written with a combining accent would be one word to the index and two to the marks. One function, so the
index writers and the highlighter cannot drift apart.
"""

from __future__ import annotations

import unicodedata


def nfc(text: str) -> str:
    """Composed accents, so "é" written as e + combining accent is one letter to the tokenizer (which would
    otherwise split the word there); NFC, not NFKC, since the stored text is also what pages display."""
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)
