"""What counts as an email address for an account, and the one spelling it is stored under.

An address is the login and the key of the account, so two strings a reader cannot tell apart must not become two
accounts (or let a lookalike pose as someone). In order:

1. **NFKC** folds compatibility forms into their plain letters (full-width ``ａｄａ`` is ``ada``, ligatures split),
   so they land on the same account instead of a lookalike one.
2. **Control, format and invisible characters are refused** (NUL, zero-width spaces and joiners, bidirectional
   overrides such as U+202E, soft hyphens, any whitespace inside): they change how an address looks or is cut
   without changing what it reads as.
3. **email-validator** checks the syntax (RFC 5322 dot-atom local parts, IDNA domains; ``<script>`` and quoted
   local parts are refused) without any DNS lookup. It also refuses special-use domains (``.test``,
   ``.localhost``, ``.invalid``): nobody can receive mail there.
4. The whole address is lower-cased: nearly every mail host treats the local part case-insensitively, and
   ``Ada@x.org`` signing up twice would be a worse surprise than the rare host that does not.
"""

from __future__ import annotations

import unicodedata

from email_validator import EmailNotValidError, validate_email

from openpapers.core.errors import OpenPapersError

MAX_EMAIL = 254
# Unicode categories no address needs: controls, format characters (zero-width, bidi controls), separators,
# surrogates, private use and unassigned code points.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"})
# Shown as blank but not in a refused category (Hangul fillers, braille blank, the Mongolian vowel separator).
_INVISIBLE = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e")


class InvalidEmail(OpenPapersError):
    """The address cannot be an account's: the message says why, in words the person typing it can act on."""


def _bad_character(value: str) -> str | None:
    for ch in value:
        if ch in _INVISIBLE or unicodedata.category(ch) in _REFUSED_CATEGORIES:
            return f"U+{ord(ch):04X}"
    return None


def normalize_email(email: str) -> str:
    """The stored spelling of ``email``, or :class:`InvalidEmail` (naming the offending character if there is one)."""
    value = unicodedata.normalize("NFKC", (email or "").strip())
    if not value:
        raise InvalidEmail("Enter your email address, like name@example.org.")
    if any(ch.isspace() for ch in value):
        raise InvalidEmail("The email address must not contain spaces.")
    bad = _bad_character(value)
    if bad is not None:
        raise InvalidEmail(f"The email address contains an invisible or control character ({bad}); type it again.")
    if len(value) > MAX_EMAIL:
        raise InvalidEmail(f"The email address is longer than {MAX_EMAIL} characters.")
    try:
        checked = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidEmail(f"Enter a valid email address, like name@example.org ({exc}).") from None
    return checked.normalized.lower()
