"""`shipgen diff`: what a change to release specs does, for a pull-request review.

    revisions.py  the files of a git ref (or the working tree), read through git
    snapshot.py   one side: the releases built in memory, their plans, lint findings
    compare.py    the two sides compared: releases, behaviour, findings, resources
    report.py     Markdown (a pull-request comment), JSON, text
    command.py    the command line
"""
