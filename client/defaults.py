"""Where Fireside looks for a server when nobody names one; light enough for `fireside --help`."""

DEFAULT_PORT = 8765
DEFAULT_SERVER = f"ws://127.0.0.1:{DEFAULT_PORT}"
