"""What a live session and letters share beside the composer: the question cards and the
reflection guide, worked by the same actions, whatever the screen's keys for them."""

from textual import on
from textual.screen import Screen, ScreenResultType

from client.widgets.composer import Composer
from client.widgets.deck_panel import DeckPanel
from client.widgets.reflection_starters import ReflectionStarters


class ComposingScreen(Screen[ScreenResultType]):
    """A screen with a Composer, a DeckPanel and ReflectionStarters among its widgets."""

    def action_card(self, step: int) -> None:
        self.query_one(DeckPanel).step(step)

    def action_browse(self, how: str) -> None:
        deck = self.query_one(DeckPanel)
        if how == "deck":
            deck.action_next_deck()
        elif how == "depth":
            deck.action_next_depth()
        elif how == "draw":
            deck.action_draw()

    def action_use_starter(self) -> None:
        # Through the composer's own queue: the letters typed before F8 are still in it and
        # those after will queue behind, so the starter lands where it was asked for; a
        # message to the screen would be overtaken by them (shared/field-notes.md).
        words = self.query_one(ReflectionStarters).highlighted_words
        if words is not None:
            self.query_one(Composer).call_later(self._put_starter, words)

    def action_starter(self, step: int) -> None:
        self.query_one(ReflectionStarters).step(step)

    @on(ReflectionStarters.StarterChosen)
    def start_reflection(self, message: ReflectionStarters.StarterChosen) -> None:
        self._put_starter(message.words)

    def _put_starter(self, words: str) -> None:
        composer = self.query_one(Composer)
        before = composer.get_text_range((0, 0), composer.cursor_location)
        # A starter begins a sentence: after words already written it needs a space.
        composer.insert(words if not before or before[-1].isspace() else f" {words}")
        composer.focus()
