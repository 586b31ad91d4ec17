"""Discussion: comments on papers by signed-in readers, written in Markdown and shown sanitised.

``render`` turns Markdown into safe HTML (markdown-it-py with raw HTML off, then nh3), ``repository`` holds the
rows, ``service`` the rules (own edits and deletes, moderation, the rate limit), ``routes`` the forms.
"""
