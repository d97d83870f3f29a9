"""`python -m polyshop` is the `polyshop` command."""

from polyshop.cli import main

main()
