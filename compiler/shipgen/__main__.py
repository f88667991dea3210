"""`python -m shipgen` runs the command line."""

from .entry import main

main()
