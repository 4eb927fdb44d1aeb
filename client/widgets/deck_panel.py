"""The asker's cards: warm-ups, deeper questions, or a question in their own words."""

from dataclasses import dataclass

from rich.text import Text
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from client.decks import DECKS, DEEPER, WARM_UP, Card

OWN_WORDS = "own"
_CARDS = {card.id: card for deck in DECKS for card in deck.cards}

WARM_UP_ROUNDS = 4
"""Rounds that open on the warm-up deck (each partner asks twice) before deeper cards lead."""


class DeckPanel(OptionList):
    """Pick a card to ask it at once, or choose to write your own question."""

    @dataclass
    class CardChosen(Message):
        """The asker picked `card` to ask."""

        card: Card

    class OwnWordsChosen(Message):
        """The asker wants to write the question themselves."""

    def __init__(self, *, id: str | None = None) -> None:
        options: list[Option | None] = []
        for deck in DECKS:
            options.append(Option(Text(deck.title, style="bold"), disabled=True))
            options.extend(Option(Text(card.text), id=card.id) for card in deck.cards)
            options.append(None)
        options.append(Option(Text("✎ Write your own question below"), id=OWN_WORDS))
        super().__init__(*options, id=id)
        self.border_title = "Question cards"

    def offer(self, round: int, asked: set[str]) -> None:
        """Tick the cards already asked and put the cursor on a good next one for this round."""
        for card in _CARDS.values():
            tick = Text("✓ ", style="dim") if card.id in asked else Text()
            self.replace_option_prompt(card.id, tick + Text(card.text))
        decks = (WARM_UP, DEEPER) if round <= WARM_UP_ROUNDS else (DEEPER, WARM_UP)
        fresh = [card for deck in decks for card in deck.cards if card.id not in asked]
        self.highlighted = self.get_option_index(fresh[0].id if fresh else OWN_WORDS)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option_id == OWN_WORDS:
            self.post_message(self.OwnWordsChosen())
        elif event.option_id in _CARDS:
            self.post_message(self.CardChosen(_CARDS[event.option_id]))
