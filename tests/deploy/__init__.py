"""The container image and the compose file in deploy/, checked without a Docker daemon."""
