"""`python -m server`: the same as `fireside-server`."""

from server.cli import main

main()
