"""Read and check deck files: TOML in, cards out, and one calm problem per broken file.

A deck file holds a `title` and a list of `[[cards]]`, each with an `id`, its
`text`, a `depth` (warm-up, deeper or deepest) and optional `follow_ups`. The
card id travels sealed inside `ask` as `card`, so ids and texts keep the
field rules of docs/protocol.md (Field rules, Inside a box).
"""

import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from pathlib import Path

from client.settings import config_dir
from shared import fields

TITLE_MAX = 64
_CARD_KEYS = {"id", "text", "depth", "follow_ups"}
_DECK_KEYS = {"title", "cards"}
_BUILT_IN_ORDER = (
    "warm-up",
    "childhood",
    "fears",
    "shaped-us",
    "appreciation",
    "future",
    "apart",
)
"""The shipped decks in the order the panel shows them: warm-ups first."""


class Depth(StrEnum):
    """How far a card reaches in; the panel suggests warm-ups for the first rounds."""

    WARM_UP = "warm-up"
    DEEPER = "deeper"
    DEEPEST = "deepest"


@dataclass(frozen=True)
class Card:
    """One question; `id` travels as `ask.card` so both sides know which card it was."""

    id: str
    text: str
    depth: Depth
    follow_ups: tuple[str, ...] = ()


@dataclass(frozen=True)
class Deck:
    """A titled run of cards, shown in the order the file gives them."""

    title: str
    cards: tuple[Card, ...]


@dataclass
class DeckProblem(Exception):
    """Why the deck file `source` could not be used, and near which line."""

    source: str
    line: int | None
    reason: str

    def __str__(self) -> str:
        where = self.source if self.line is None else f"{self.source}, line {self.line}"
        return f"{where}: {self.reason}"


@dataclass(frozen=True)
class Library:
    """Every deck that loaded, and a problem for each file that did not."""

    decks: tuple[Deck, ...]
    problems: tuple[DeckProblem, ...] = ()

    def card(self, card_id: str) -> Card | None:
        """The card with `card_id`, or None if no loaded deck holds it."""
        return next((c for deck in self.decks for c in deck.cards if c.id == card_id), None)


_TOML_WHERE = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")
_CARDS_HEADER = re.compile(r"^[ \t]*\[\[[ \t]*cards[ \t]*\]\]", re.MULTILINE)


def parse_deck(source: str, content: str, taken: Iterable[str] = ()) -> Deck:
    """The deck in `content` (the file named `source`), or DeckProblem saying what is wrong.

    `taken` holds the card ids of decks loaded before this one: ids are unique across decks.
    """
    try:
        document = tomllib.loads(content)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        where = _TOML_WHERE.search(message)
        if where is None:
            raise DeckProblem(source, None, f"is not valid TOML: {message}") from None
        reason = f"is not valid TOML: {message[: where.start()]} (column {where.group(2)})"
        raise DeckProblem(source, int(where.group(1)), reason) from None
    headers = [
        content.count("\n", 0, match.start()) + 1 for match in _CARDS_HEADER.finditer(content)
    ]
    return _deck(source, document, headers, set(taken))


_Problem = Callable[[str, int | None], DeckProblem]
"""Builds the DeckProblem for a reason, placed at the line of card `index` when there is one."""


def _deck(source: str, document: Mapping[str, object], headers: list[int], taken: set[str]) -> Deck:
    def problem(reason: str, index: int | None) -> DeckProblem:
        # tomllib keeps no positions, so a card is placed by its `[[cards]]` header.
        line = headers[index] if index is not None and index < len(headers) else None
        return DeckProblem(source, line, reason)

    unknown = sorted(set(document) - _DECK_KEYS)
    if unknown:
        raise problem(f"unknown key {unknown[0]!r} (a deck holds title and cards)", None)
    title = document.get("title")
    if not isinstance(title, str):
        raise problem("needs a title, as text", None)
    title_problem = fields.text_problem(title, TITLE_MAX) or (
        "must be one line" if "\n" in title or "\t" in title else None
    )
    if title_problem is not None:
        raise problem(f"title {title_problem}", None)
    entries = document.get("cards")
    if not isinstance(entries, list) or not entries:
        raise problem("needs at least one [[cards]] entry", None)
    cards: list[Card] = []
    for index, entry in enumerate(entries):
        card = _card(entry, index, problem)
        if card.id in taken:
            raise problem(f"card id {card.id!r} is already used by another card", index)
        taken.add(card.id)
        cards.append(card)
    return Deck(title, tuple(cards))


def _card(entry: object, index: int, problem: _Problem) -> Card:
    number = f"card {index + 1}"
    if not isinstance(entry, dict):
        raise problem(f"{number} must be a table with id, text and depth", index)
    unknown = sorted(set(entry) - _CARD_KEYS)
    if unknown:
        keys = "id, text, depth and follow_ups"
        raise problem(f"{number} has an unknown key {unknown[0]!r} (a card holds {keys})", index)
    for key in ("id", "text", "depth"):
        if key not in entry:
            raise problem(f"{number} is missing its {key}", index)
        if not isinstance(entry[key], str):
            raise problem(f"{number}: {key} must be text", index)
    card_id, text, depth = entry["id"], entry["text"], entry["depth"]
    id_problem = fields.text_problem(card_id, fields.CARD_MAX)
    if id_problem is not None:
        raise problem(f"{number}: id {id_problem}", index)
    number = f"card {card_id!r}"
    text_problem = fields.text_problem(text, fields.ASK_MAX)
    if text_problem is not None:
        raise problem(f"{number}: text {text_problem}", index)
    if depth not in set(Depth):
        known = ", ".join(str(d) for d in Depth)
        raise problem(f"{number}: unknown depth {depth!r} (one of {known})", index)
    follow_ups = entry.get("follow_ups", [])
    if not isinstance(follow_ups, list) or not all(isinstance(f, str) for f in follow_ups):
        raise problem(f"{number}: follow_ups must be a list of text", index)
    for follow_up in follow_ups:
        follow_problem = fields.text_problem(follow_up, fields.ASK_MAX)
        if follow_problem is not None:
            raise problem(f"{number}: a follow-up {follow_problem}", index)
    return Card(card_id, text, Depth(depth), tuple(follow_ups))


def _built_in() -> Library:
    folder = resources.files(__package__ or "client.decks")
    decks: list[Deck] = []
    taken: set[str] = set()
    for name in _BUILT_IN_ORDER:
        deck = parse_deck(f"{name}.toml", folder.joinpath(f"{name}.toml").read_text("utf-8"), taken)
        taken.update(card.id for card in deck.cards)
        decks.append(deck)
    return Library(tuple(decks))


BUILT_IN = _built_in()
"""The decks shipped with Fireside; a problem in one of them is a bug, so it fails at import."""


def custom_decks_dir(environ: Mapping[str, str] | None = None) -> Path:
    """decks/ beside config.toml: `$FIRESIDE_CONFIG_DIR/decks`, else in the platform's dir."""
    return config_dir(environ) / "decks"


def load_library(custom_dir: Path | None, built_in: Library = BUILT_IN) -> Library:
    """The built-in decks, then each `*.toml` in `custom_dir` that loads, in name order.

    A file that cannot be read or checked is left out with one DeckProblem; the rest still load.
    """
    decks = list(built_in.decks)
    problems = list(built_in.problems)
    taken = {card.id for deck in decks for card in deck.cards}
    paths = (
        sorted(custom_dir.glob("*.toml")) if custom_dir is not None and custom_dir.is_dir() else []
    )
    for path in paths:
        source = f"decks/{path.name}"
        try:
            deck = parse_deck(source, path.read_text("utf-8"), taken)
        except DeckProblem as problem:
            problems.append(problem)
            continue
        except (OSError, UnicodeDecodeError) as error:
            problems.append(
                DeckProblem(source, None, f"could not be read ({type(error).__name__})")
            )
            continue
        taken.update(card.id for card in deck.cards)
        decks.append(deck)
    return Library(tuple(decks), tuple(problems))
