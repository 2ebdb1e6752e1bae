"""``python -m app`` runs the ``ucc`` command line."""

from app.cli import main

main()
