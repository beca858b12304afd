"""`python -m service.cli` runs the snomap command line (the package is loaded once)."""

from service.cli import main

main()
