"""One seat in a room, with no I/O: what it knows of the room, its secrets, and its ticket back.

Nothing here imports textual, rich or websockets (an import contract in pyproject.toml
holds it): the room link feeds it what arrives, the screen and Sam read it.
"""
