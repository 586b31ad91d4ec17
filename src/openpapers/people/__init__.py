"""People: accounts and what they do with papers (votes, library, follows), trending, recommendations.

:mod:`accounts` holds the account policy (passwords, sessions, tokens, resets), :mod:`csrf` the cross-site
request checks, :mod:`export` a user's data as JSON or BibTeX. Storage is in ``openpapers.store.accounts`` and
``openpapers.store.signals``; the web side is ``openpapers.web.auth`` and friends.
"""
