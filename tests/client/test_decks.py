"""Deck files: the shipped decks, and each way a deck file can be broken, named with its line."""

from collections import Counter
from pathlib import Path

import platformdirs
import pytest

from client.decks import BUILT_IN, WARM_UP, DeckProblem, Depth, load_library
from client.decks.loader import custom_decks_dir, parse_deck
from shared import fields

GOOD = """\
title = "Our own"

[[cards]]
id = "ours-1"
depth = "warm-up"
text = "What song is stuck in your head today?"

[[cards]]
id = "ours-2"
depth = "deepest"
text = "What do you hope I never stop doing?"
follow_ups = ["Why that, of all things?", "When did you first notice it?"]
"""


def _card(**fields_: str) -> str:
    """A deck file with one good card and then a card of `fields_` (TOML values as written)."""
    lines = "".join(f"{key} = {value}\n" for key, value in fields_.items())
    return GOOD + "\n[[cards]]\n" + lines


def test_the_warm_up_deck_is_the_five_questions_of_v1_word_for_word() -> None:
    """The first deck is the warm-up deck, and its five cards are v1's questions exactly."""
    assert BUILT_IN.decks[0] is WARM_UP
    assert [(card.id, card.text) for card in WARM_UP.cards] == [
        ("w1", "What was the high and low of your day?"),
        ("w2", "Are there any worries weighing on your mind at the moment?"),
        ("w3", "What's a fascinating thing you recently learned?"),
        ("w4", "How can I support you in the best way right now?"),
        ("w5", "Can you think of something I did recently that made you feel cherished?"),
    ]
    assert {card.depth for card in WARM_UP.cards} == {Depth.WARM_UP}


def test_the_shipped_decks_hold_at_least_sixty_cards_in_five_decks_of_every_depth() -> None:
    """At least 60 cards and 5 written decks beside the warm-ups, each deck spread over depths."""
    written = BUILT_IN.decks[1:]
    assert len(written) >= 5
    assert sum(len(deck.cards) for deck in written) >= 60
    for deck in written:
        assert set(Counter(card.depth for card in deck.cards)) == set(Depth), deck.title
    assert not BUILT_IN.problems


def test_the_deeper_cards_of_v1_keep_their_ids_and_words() -> None:
    """d1 to d12 travel as `ask.card`; they are still there under the same ids."""
    assert BUILT_IN.card("d1") is not None
    assert all(BUILT_IN.card(f"d{n}") is not None for n in range(1, 13))
    card = BUILT_IN.card("d6")
    assert card is not None
    assert card.text == "Tell me about a moment that changed how you see yourself."


def test_every_shipped_card_keeps_the_field_rules_and_its_id_is_unique() -> None:
    """Ids within `card`'s limit and unique across decks; texts and follow-ups within `ask`'s."""
    cards = [card for deck in BUILT_IN.decks for card in deck.cards]
    assert len({card.id for card in cards}) == len(cards)
    for card in cards:
        assert fields.text_problem(card.id, fields.CARD_MAX) is None
        for text in (card.text, *card.follow_ups):
            assert fields.text_problem(text, fields.ASK_MAX) is None


def test_a_good_file_gives_its_cards_depths_and_follow_ups() -> None:
    """Title, cards in file order, depths as the enum, follow-ups as a tuple of text."""
    deck = parse_deck("ours.toml", GOOD)
    assert deck.title == "Our own"
    assert [card.id for card in deck.cards] == ["ours-1", "ours-2"]
    assert deck.cards[0].depth is Depth.WARM_UP
    assert deck.cards[0].follow_ups == ()
    assert deck.cards[1].follow_ups == ("Why that, of all things?", "When did you first notice it?")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(
            'title = "Ours"\n\n[[cards]]\nid = "x"\ntext = "unclosed\n',
            "ours.toml, line 5: is not valid TOML: Illegal character '\\n' (column 17)",
            id="bad-toml",
        ),
        pytest.param(
            _card(id='"x1"', depth='"deeper"'),
            "ours.toml, line 14: card 3 is missing its text",
            id="missing-text",
        ),
        pytest.param(
            GOOD.replace('title = "Our own"', ""),
            "ours.toml: needs a title, as text",
            id="missing-title",
        ),
        pytest.param(
            _card(id='"x1"', depth='"deep"', text='"Where to?"'),
            "ours.toml, line 14: card 'x1': unknown depth 'deep' (one of warm-up, deeper, deepest)",
            id="unknown-depth",
        ),
        pytest.param(
            _card(id='"ours-1"', depth='"deeper"', text='"Again?"'),
            "ours.toml, line 14: card id 'ours-1' is already used by another card",
            id="duplicate-id",
        ),
        pytest.param(
            _card(id='"x1"', depth='"deeper"', text='"' + "a" * 1001 + '"'),
            "ours.toml, line 14: card 'x1': text must be at most 1000 characters",
            id="long-text",
        ),
        pytest.param(
            _card(id='"' + "x" * 65 + '"', depth='"deeper"', text='"Where to?"'),
            "ours.toml, line 14: card 3: id must be at most 64 characters",
            id="long-id",
        ),
        pytest.param(
            _card(id='"x1"', depth='"deeper"', text='"Ring \\u0007 the bell?"'),
            "ours.toml, line 14: card 'x1': text holds a control or bidirectional-override"
            " character",
            id="control-char",
        ),
        pytest.param(
            _card(id='"x1"', depth='"deeper"', text='"Hi?"', follow_ups='"one"'),
            "ours.toml, line 14: card 'x1': follow_ups must be a list of text",
            id="follow-ups-not-a-list",
        ),
        pytest.param(
            _card(id='"x1"', depth='"deeper"', text='"Hi?"', followups="[]"),
            "ours.toml, line 14: card 3 has an unknown key 'followups'"
            " (a card holds id, text, depth and follow_ups)",
            id="unknown-key",
        ),
        pytest.param(
            'title = "Ours"\n', "ours.toml: needs at least one [[cards]] entry", id="empty"
        ),
    ],
)
def test_a_broken_file_is_one_problem_naming_file_and_line(content: str, expected: str) -> None:
    """Each kind of broken deck is refused with one sentence that says where and what."""
    with pytest.raises(DeckProblem) as caught:
        parse_deck("ours.toml", content)
    assert str(caught.value) == expected


def test_an_id_taken_by_a_built_in_deck_is_refused() -> None:
    """Ids are unique across decks: a custom card may not reuse `w1`."""
    with pytest.raises(DeckProblem, match="card id 'w1' is already used"):
        parse_deck("ours.toml", GOOD.replace("ours-1", "w1"), taken={"w1"})


def test_custom_decks_load_beside_the_built_in_ones_and_a_broken_one_leaves_the_rest(
    tmp_path: Path,
) -> None:
    """A good custom deck follows the shipped ones; a broken file is one problem and left out."""
    (tmp_path / "b-ours.toml").write_text(GOOD, "utf-8")
    (tmp_path / "a-broken.toml").write_text('title = "Broken"\n[[cards]\n', "utf-8")
    (tmp_path / "c-clash.toml").write_text(GOOD.replace("Our own", "Clash"), "utf-8")
    (tmp_path / "notes.txt").write_text("not a deck", "utf-8")
    library = load_library(tmp_path)
    assert library.decks[: len(BUILT_IN.decks)] == BUILT_IN.decks
    assert [deck.title for deck in library.decks[len(BUILT_IN.decks) :]] == ["Our own"]
    assert [str(problem) for problem in library.problems] == [
        "decks/a-broken.toml, line 2: is not valid TOML: Expected ']]' at the end of an array"
        " declaration (column 8)",
        "decks/c-clash.toml, line 3: card id 'ours-1' is already used by another card",
    ]
    assert library.card("ours-2") is not None


def test_no_custom_folder_gives_the_built_in_decks_alone(tmp_path: Path) -> None:
    """A config dir without decks/ is no problem at all."""
    library = load_library(tmp_path / "decks")
    assert library.decks == BUILT_IN.decks
    assert library.problems == ()


def test_a_file_that_is_not_utf8_is_one_problem(tmp_path: Path) -> None:
    """Bytes that are not text are named as unreadable, calmly, and the rest still load."""
    (tmp_path / "odd.toml").write_bytes(b'title = "\xff"\n')
    library = load_library(tmp_path)
    assert [str(problem) for problem in library.problems] == [
        "decks/odd.toml: could not be read (UnicodeDecodeError)"
    ]
    assert library.decks == BUILT_IN.decks


def test_custom_decks_live_in_the_config_dir_the_settings_use(tmp_path: Path) -> None:
    """`$FIRESIDE_CONFIG_DIR/decks` when set, else decks/ in the platform's config dir."""
    assert custom_decks_dir({"FIRESIDE_CONFIG_DIR": str(tmp_path)}) == tmp_path / "decks"
    default = Path(platformdirs.user_config_dir("fireside")) / "decks"
    assert custom_decks_dir({}) == default
