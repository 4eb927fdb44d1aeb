"""The screens of the client, one per module."""
