"""Fireside's terminal client: two partners, one room, taking turns to really listen."""
