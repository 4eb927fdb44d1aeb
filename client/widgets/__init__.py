"""The pieces of the session screen, one widget per module."""
