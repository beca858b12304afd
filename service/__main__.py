"""`python -m service` runs the snomap command line."""

from service.cli import main

main()
