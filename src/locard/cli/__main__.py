"""``python -m locard.cli ...``: the ``locard`` command (what the console script runs)."""

from locard.cli import run

if __name__ == "__main__":
    run()
