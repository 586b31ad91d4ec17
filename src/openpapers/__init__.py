"""openpapers: a self-hostable research-paper discovery platform.

Data flows one way: sources → store → index → (web | api | digests).
"""

__version__ = "0.1.0"
