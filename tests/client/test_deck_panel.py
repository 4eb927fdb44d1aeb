"""The asker's deck panel in the app: browse by deck and depth, draw at random, ask the same
question back, follow-ups while listening, and custom decks beside the shipped ones."""

from pathlib import Path

import pytest

from client.app import FiresideApp
from client.decks import BUILT_IN, Depth
from client.entry import Entry
from client.widgets.composer import Composer
from client.widgets.deck_panel import OWN_WORDS, SAME_QUESTION, DeckPanel
from client.widgets.follow_ups import FollowUps
from client.widgets.status_line import StatusLine
from shared.events import EventKind
from shared.messages import MessageType
from shared.seats import Phase
from tests.client.drive import WirePartner, ben_asks, burst, paired_partner, session_of, until

SIZE = (100, 30)


def _card_ids(deck: DeckPanel) -> list[str]:
    """The ids of the cards the panel shows, in order (not headers, notes or actions)."""
    options = (deck.get_option_at_index(i) for i in range(deck.option_count))
    return [o.id for o in options if o.id is not None and BUILT_IN.card(o.id) is not None]


async def test_the_panel_opens_on_warm_ups_and_browses_by_deck_and_depth(server_url: str) -> None:
    """Round 1 shows every deck's warm-ups; ctrl+n picks a deck, ctrl+l a depth, ctrl+down moves
    the cursor and F8 asks that card, all while the composer keeps the focus."""
    ana = FiresideApp(Entry(server_url, "Ana"), enter_now=True)
    async with ana.run_test(size=SIZE) as pilot:
        ben = await paired_partner(pilot, ana)
        deck = session_of(ana).query_one(DeckPanel)
        warm_ups = [c.id for d in BUILT_IN.decks for c in d.cards if c.depth is Depth.WARM_UP]
        assert _card_ids(deck) == warm_ups
        assert deck.border_subtitle == "all decks · warm-up"

        await pilot.press("ctrl+n", "ctrl+n")
        childhood = BUILT_IN.decks[1]
        assert deck.border_subtitle == f"{childhood.title} · warm-up"
        await pilot.press("ctrl+l")
        deeper = [card.id for card in childhood.cards if card.depth is Depth.DEEPER]
        assert _card_ids(deck) == deeper
        assert deck.border_subtitle == f"{childhood.title} · deeper"

        assert session_of(ana).query_one(Composer).has_focus
        await pilot.press("ctrl+down", "f8")
        asked = await ben.until_kind(EventKind.ASK)
        assert asked.words == {"text": childhood.cards[5].text, "card": deeper[1]}
        await ben.close()


async def test_ctrl_r_draws_a_card_at_random_from_those_shown(server_url: str) -> None:
    """Each draw lands on a card of the current view, and the draws are not all the same card."""
    ana = FiresideApp(Entry(server_url, "Ana"), enter_now=True)
    async with ana.run_test(size=SIZE) as pilot:
        ben = await paired_partner(pilot, ana)
        deck = session_of(ana).query_one(DeckPanel)
        await pilot.press("ctrl+l", "ctrl+l")
        shown = set(_card_ids(deck))
        depths = {card.depth for d in BUILT_IN.decks for card in d.cards if card.id in shown}
        assert depths == {Depth.DEEPEST}
        drawn = set()
        for _ in range(20):
            await pilot.press("ctrl+r")
            assert deck.highlighted is not None
            drawn.add(deck.get_option_at_index(deck.highlighted).id)
        assert drawn <= shown
        assert len(drawn) > 1
        await ben.close()


async def test_the_new_asker_may_ask_the_same_question_and_sees_follow_ups(
    server_url: str,
) -> None:
    """Ben asks w1; after the round Ana is offered w1 back, asks it, and sees its follow-ups."""
    ana = FiresideApp(Entry(server_url, "Ana"), enter_now=True)
    async with ana.run_test(size=SIZE) as pilot:
        ben = await paired_partner(pilot, ana)
        room = session_of(ana)
        deck = room.query_one(DeckPanel)
        await pilot.press("f2")
        await ben.until_kind(EventKind.HANDOVER)
        w1 = BUILT_IN.decks[0].cards[0]
        await ben.send_box("ask", ben.seal(MessageType.ASK, {"text": w1.text, "card": w1.id}))
        await until(pilot, lambda: room.room.phase is Phase.SHARING)
        assert not room.query_one(FollowUps).display
        await pilot.press(*"A quiet one", "ctrl+s", "f3")
        await ben.until_kind(EventKind.DONE)
        await ben.reflect("It was quiet")
        await until(pilot, lambda: room.room.phase is Phase.CONFIRMING)
        await pilot.press("f5")
        await until(pilot, lambda: room.room.round == 2 and room.room.phase is Phase.ASKING)
        assert room.room.asker is room.me
        assert deck.display

        offer = deck.get_option(SAME_QUESTION)
        assert "Ask me the same question" in str(offer.prompt)
        assert w1.text in str(offer.prompt)
        await pilot.press("f8")
        asked = await ben.until_kind(EventKind.ASK)
        assert asked.words == {"text": w1.text, "card": w1.id}

        await until(pilot, lambda: room.room.phase is Phase.SHARING)
        follow_ups = room.query_one(FollowUps)
        assert follow_ups.display
        assert w1.follow_ups[0] in str(follow_ups.render())
        await ben.close()


async def test_the_follow_ups_of_round_1_are_gone_once_the_roles_swap(server_url: str) -> None:
    """Ana asks w1 and sees its follow-ups while Ben shares; in round 2 Ben asks, and the
    follow-ups of Ana's card are no longer hers to follow up on."""
    ana = FiresideApp(Entry(server_url, "Ana"), enter_now=True)
    async with ana.run_test(size=SIZE) as pilot:
        ben = await paired_partner(pilot, ana)
        room = session_of(ana)
        follow_ups = room.query_one(FollowUps)
        await pilot.press("f8")
        await ben.until_kind(EventKind.ASK)
        await until(pilot, lambda: room.room.phase is Phase.SHARING)
        assert follow_ups.display
        await ben.say("A walk by the river")
        await ben.send(t="done")
        await until(pilot, lambda: room.room.phase is Phase.REFLECTING)
        await pilot.press(*"The river", "ctrl+s")
        await ben.until_kind(EventKind.REFLECT)
        await ben.send(t="confirm")
        await until(pilot, lambda: room.room.round == 2 and room.room.phase is Phase.ASKING)
        assert room.room.asker is not room.me
        assert not follow_ups.display
        await ben.close()


async def test_f8_on_write_your_own_points_to_the_composer(server_url: str) -> None:
    """The last card says "Write your own question below": F8 on it says where and how, keeps
    the words already written, and asks nothing; the hint goes once the question is asked."""
    ana = FiresideApp(Entry(server_url, "Ana"), enter_now=True)
    async with ana.run_test(size=SIZE) as pilot:
        ben = await paired_partner(pilot, ana)
        room = session_of(ana)
        deck = room.query_one(DeckPanel)
        status = room.query_one(StatusLine)
        await pilot.press(*"Where ")
        deck.highlighted = deck.get_option_index(OWN_WORDS)
        await pilot.press("f8")
        assert "ctrl+s asks it" in status.sentence
        composer = room.query_one(Composer)
        assert composer.has_focus
        assert composer.text == "Where "
        assert room.room.phase is Phase.ASKING
        await pilot.press(*"to?", "ctrl+s")
        await ben.until_kind(EventKind.ASK)
        await until(pilot, lambda: room.room.phase is Phase.SHARING)
        assert status.sentence == "Paired."
        await ben.close()


async def test_the_same_question_in_own_words_goes_back_without_a_card(server_url: str) -> None:
    """A question Ben wrote himself is offered back too, and travels without a card id."""
    ana = FiresideApp(Entry(server_url, "Ana"), enter_now=True)
    async with ana.run_test(size=SIZE) as pilot:
        room, ben = await ben_asks(pilot, ana, "What made you laugh today?")
        await pilot.press(*"The cat", "ctrl+s", "f3")
        await ben.until_kind(EventKind.DONE)
        await ben.reflect("The cat")
        await until(pilot, lambda: room.room.phase is Phase.CONFIRMING)
        await pilot.press("f5")
        await until(pilot, lambda: room.room.round == 2 and room.room.phase is Phase.ASKING)
        assert not room.query_one(FollowUps).display
        await pilot.press("f8")
        asked = await ben.until_kind(EventKind.ASK)
        assert asked.words == {"text": "What made you laugh today?"}
        await ben.close()


async def test_no_same_question_is_offered_in_the_first_round(server_url: str) -> None:
    """Nobody has asked yet: the panel offers cards only, no question to ask back."""
    ana = FiresideApp(Entry(server_url, "Ana"), enter_now=True)
    async with ana.run_test(size=SIZE) as pilot:
        ben: WirePartner = await paired_partner(pilot, ana)
        deck = session_of(ana).query_one(DeckPanel)
        assert SAME_QUESTION not in {
            deck.get_option_at_index(i).id for i in range(deck.option_count)
        }
        await ben.close()


async def test_a_custom_deck_loads_beside_the_shipped_ones_and_a_broken_one_is_a_calm_note(
    server_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Our own deck is browsable and askable; the broken file is one note naming file and line."""
    monkeypatch.setenv("FIRESIDE_CONFIG_DIR", str(tmp_path))
    decks = tmp_path / "decks"
    decks.mkdir()
    (decks / "ours.toml").write_text(
        'title = "Our own"\n\n[[cards]]\nid = "ours-1"\ndepth = "warm-up"\n'
        'text = "What song is stuck in your head today?"\n',
        "utf-8",
    )
    (decks / "broken.toml").write_text('title = "Broken"\n[[cards]\n', "utf-8")
    ana = FiresideApp(Entry(server_url, "Ana"), enter_now=True)
    async with ana.run_test(size=SIZE) as pilot:
        ben = await paired_partner(pilot, ana)
        deck = session_of(ana).query_one(DeckPanel)
        note = str(deck.get_option_at_index(0).prompt)
        assert note.startswith("Left out decks/broken.toml, line 2: is not valid TOML")
        assert deck.get_option_at_index(0).disabled
        assert [d.title for d in deck.library.decks][-1] == "Our own"

        await pilot.press(*["ctrl+n"] * len(deck.library.decks))
        assert deck.border_subtitle == "Our own · warm-up"
        await pilot.press("f8")
        asked = await ben.until_kind(EventKind.ASK)
        assert asked.words == {"text": "What song is stuck in your head today?", "card": "ours-1"}
        await ben.close()


async def test_a_question_typed_in_one_burst_lands_whole_in_the_composer(
    server_url: str,
) -> None:
    """Every key of a question that arrives at once, before the app has handled any, reaches
    the composer in order; none of them (d, l and r included) reaches the cards."""
    ana = FiresideApp(Entry(server_url, "Ana"), enter_now=True)
    async with ana.run_test(size=(80, 24)) as pilot:
        ben = await paired_partner(pilot, ana)
        session = session_of(ana)
        deck = session.query_one(DeckPanel)
        question = "What did the rain sound like?"
        # Queued together, as a terminal delivers a burst: Pilot's press() would wait
        # between keys and so let a focus change catch up (shared/field-notes.md).
        for key in burst(question):
            ana.post_message(key)
        await pilot.pause()
        assert session.query_one(Composer).text == question
        assert deck.border_subtitle == "all decks · warm-up", "no d, l or r reached the cards"
        await pilot.press("ctrl+s")
        asked = await ben.until_kind(EventKind.ASK)
        assert asked.words == {"text": question}
        await ben.close()


async def test_a_click_asks_a_card_and_the_composer_keeps_the_focus(server_url: str) -> None:
    """Clicking a card asks it; the cards never take the focus from the composer."""
    ana = FiresideApp(Entry(server_url, "Ana"), enter_now=True)
    async with ana.run_test(size=SIZE) as pilot:
        ben = await paired_partner(pilot, ana)
        session = session_of(ana)
        deck = session.query_one(DeckPanel)
        assert session.query_one(Composer).has_focus
        first = _card_ids(deck)[0]
        index = deck.get_option_index(first)
        x, top = deck.region.x + 3, deck.region.y
        rows = range(top, top + deck.region.height)
        # The row the card is drawn on: each option's lines carry its index in their style.
        y = next(y for y in rows if session.get_style_at(x, y).meta.get("option") == index)
        await pilot.click(offset=(x, y))
        asked = await ben.until_kind(EventKind.ASK)
        assert asked.words["card"] == first
        await ben.close()
