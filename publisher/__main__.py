"""``python -m publisher``: the command line. git's diff driver and textconv, which git starts
once per changed file, skip the command line's start-up (:mod:`publisher.git_entry`)."""

import sys

from publisher.git_entry import git_call

call = git_call(sys.argv[1:])
if call is not None:
    sys.exit(call())

from publisher.cli import main  # noqa: E402

main()
