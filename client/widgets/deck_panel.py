"""The asker's cards: browse by deck and depth, draw one at random, or ask the same question."""

import random
from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from client.decks import Card, Deck, Depth, Library, load_library
from client.decks.loader import custom_decks_dir
from client.seat.opened import Opened
from client.widgets.cursor_list import CursorList
from shared.events import EventKind
from shared.seats import Seat

OWN_WORDS = "own"
SAME_QUESTION = "same"

KEYS = "^n deck · ^l depth · ^r random"
"""The browsing keys (client/screens/session.py binds them), shown in the panel: the footer
already holds the ones for asking."""

WARM_UP_ROUNDS = 4
"""Rounds that open on the warm-ups (each partner asks twice) before the panel shows every depth."""

_DEPTHS: tuple[Depth | None, ...] = (None, *Depth)
"""The depth views, in the order ctrl+l steps through them: every depth, then one at a time."""


_QUESTIONS = frozenset({EventKind.ASK, EventKind.PROPOSE})
"""A live question, or a letter's: either ticks its card as asked."""


def _asks(log: Sequence[Opened]) -> list[Opened]:
    return [opened for opened in log if opened.kind in _QUESTIONS and opened.text is not None]


class DeckPanel(CursorList):
    """Pick a card to ask it at once, or choose to write your own question: F8 asks the card
    under the cursor, and a click asks the card clicked."""

    @dataclass
    class CardChosen(Message):
        """The asker picked `card` to ask."""

        card: Card

    @dataclass
    class SameQuestionChosen(Message):
        """The asker asks back the question they were just asked: `text`, and its `card` id."""

        text: str
        card: str | None

    class OwnWordsChosen(Message):
        """The asker wants to write the question themselves."""

    def __init__(
        self,
        library: Library | None = None,
        *,
        draw: random.Random | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.library = library if library is not None else load_library(custom_decks_dir())
        """The built-in decks and the person's own, with a note for each file left out."""
        self._draw = draw if draw is not None else random.Random()
        self.deck: Deck | None = None
        """The deck being browsed, or None for every deck."""
        self.depth: Depth | None = Depth.WARM_UP
        """The depth being browsed, or None for every depth."""
        self._round = 1
        self._asked: set[str] = set()
        self._same: Opened | None = None
        self.border_title = "Question cards"
        self._rebuild()

    def offer(self, round: int, log: Sequence[Opened], me: Seat) -> None:
        """Open the turn: warm-ups for the first rounds, ticks on asked cards, the same question.

        The partner's question of the round before is offered back, under the cursor ("ask me
        the same question"), so both may answer the same card; any other card is a key away.
        """
        self._round = round
        self._asked = {opened.card for opened in _asks(log) if opened.card is not None}
        previous = _asks(log)[-1:]
        # Letters answer every question both ways already: there is no "same question" to ask.
        asked = previous[0] if previous and previous[0].kind is EventKind.ASK else None
        self._same = asked if asked is not None and asked.by is not me else None
        self.depth = Depth.WARM_UP if round <= WARM_UP_ROUNDS else None
        self._rebuild()
        self.scroll_home(animate=False)
        if self._same is not None:
            self.highlighted = self.get_option_index(SAME_QUESTION)

    def follow_ups(self, log: Sequence[Opened]) -> tuple[str, ...]:
        """The follow-up prompts of the card asked last, if it came from a loaded deck."""
        asks = _asks(log)
        card = self.library.card(asks[-1].card) if asks and asks[-1].card is not None else None
        return card.follow_ups if card is not None else ()

    def ask_highlighted(self) -> None:
        """Ask the card under the cursor, as Enter does in a focused list."""
        self.action_select()

    def action_next_deck(self) -> None:
        """Browse the next deck, then every deck again."""
        decks: list[Deck | None] = [None, *self.library.decks]
        self.deck = decks[(decks.index(self.deck) + 1) % len(decks)]
        self._rebuild()

    def action_next_depth(self) -> None:
        """Browse the next depth, then every depth again."""
        self.depth = _DEPTHS[(_DEPTHS.index(self.depth) + 1) % len(_DEPTHS)]
        self._rebuild()

    def action_draw(self) -> None:
        """Put the cursor on a card drawn at random from those shown, not yet asked if any."""
        shown = self._shown()
        fresh = [card for card in shown if card.id not in self._asked] or shown
        if not fresh:
            self.app.bell()
            return
        self.highlighted = self.get_option_index(self._draw.choice(fresh).id)

    def _decks(self) -> tuple[Deck, ...]:
        return self.library.decks if self.deck is None else (self.deck,)

    def _shown(self) -> list[Card]:
        depth = self.depth
        return [c for d in self._decks() for c in d.cards if depth is None or c.depth is depth]

    def _rebuild(self) -> None:
        deck_name = self.deck.title if self.deck is not None else "all decks"
        depth_name = self.depth if self.depth is not None else "every depth"
        self.border_subtitle = f"{deck_name} · {depth_name}"
        options: list[Option | None] = [
            Option(Text(f"Left out {problem}", style="dim italic"), disabled=True)
            for problem in self.library.problems
        ]
        options.append(Option(Text(KEYS, style="dim italic"), disabled=True))
        if self.depth is Depth.WARM_UP and self._round <= WARM_UP_ROUNDS:
            suggestion = "Warm-ups suit the first rounds; ^l goes deeper."
            options.append(Option(Text(suggestion, style="dim italic"), disabled=True))
        if self._same is not None and self._same.text is not None:
            offer = Text.assemble(("↺ Ask me the same question: ", "bold"), self._same.text)
            options.extend((Option(offer, id=SAME_QUESTION), None))
        depth = self.depth
        for deck in self._decks():
            cards = [card for card in deck.cards if depth is None or card.depth is depth]
            if not cards:
                continue
            options.append(Option(Text(deck.title, style="bold"), disabled=True))
            options.extend(Option(self._prompt(card), id=card.id) for card in cards)
            options.append(None)
        options.append(Option(Text("✎ Write your own question below"), id=OWN_WORDS))
        self.clear_options()
        self.add_options(options)
        self.highlighted = self.get_option_index(self._suggested())

    def _prompt(self, card: Card) -> Text:
        tick = Text("✓ ", style="dim") if card.id in self._asked else Text()
        prompt = tick + Text(card.text)
        if self.depth is None and card.depth is not Depth.WARM_UP:
            prompt.append(f" · {card.depth}", style="dim")
        return prompt

    def _suggested(self) -> str:
        """A good card for the cursor: a fresh one, deeper ones first once warm-ups are done."""
        fresh = [card for card in self._shown() if card.id not in self._asked]
        if self._round > WARM_UP_ROUNDS:
            fresh.sort(key=lambda card: card.depth is Depth.WARM_UP)
        return fresh[0].id if fresh else OWN_WORDS

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        card = self.library.card(event.option_id) if event.option_id is not None else None
        if event.option_id == OWN_WORDS:
            self.post_message(self.OwnWordsChosen())
        elif event.option_id == SAME_QUESTION and self._same is not None:
            assert self._same.text is not None
            self.post_message(self.SameQuestionChosen(self._same.text, self._same.card))
        elif card is not None:
            self.post_message(self.CardChosen(card))
