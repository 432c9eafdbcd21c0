"""`python -m plbook` is `plbook`."""

from plbook.cli import main

main()
