"""Collections: a reader's named lists of papers, public or private, with a note per paper.

``repository`` holds the rows, ``service`` the rules (who may see and change what, limits) and the views,
``routes`` the pages with their JSON twins, the forms, the Atom feed and the BibTeX export.
"""
