"""Cohost: a runtime for digital-human hosts of livestream shops."""

__version__ = "0.1.0"
