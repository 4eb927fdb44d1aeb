"""The terminal bell when it becomes your turn, for the person who asked for it (`bell`)."""

from typing import Any

from textual.app import App

from client.settings import Settings


class TurnBell:
    """Rings once each time the floor comes to this person; a nod never moves it, so never rings."""

    def __init__(self) -> None:
        self._mine = False

    def floor(self, app: App[Any], mine: bool) -> None:
        """Note whether this person holds the floor now; ring if it has just come to them."""
        if mine and not self._mine and _wanted(app):
            app.bell()
        self._mine = mine


def _wanted(app: App[Any]) -> bool:
    # The app's settings (client/app.py); an app without them never rings.
    settings = getattr(app, "settings", None)
    return isinstance(settings, Settings) and settings.bell
