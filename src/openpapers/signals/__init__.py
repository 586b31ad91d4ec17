"""What readers do with papers (votes, library, follows, dismissals) and what is computed from it: trending and
recommendations."""
