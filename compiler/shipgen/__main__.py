"""`python -m shipgen` runs the command line."""

from .cli import main

main()
