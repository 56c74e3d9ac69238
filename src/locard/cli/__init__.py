"""The ``locard`` command line: a thin layer over the Python API.

``main(argv)`` is a function (tests call it in-process); every error funnels to
``locard: error: ...`` on stderr and a non-zero exit, ``--debug`` shows the traceback.
"""

from locard.cli.app import app, main

__all__ = ["app", "main"]
