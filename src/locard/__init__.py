"""Locard: forensic DNA identification from STR profiles."""

from locard._version import __version__

__all__ = ["__version__"]
