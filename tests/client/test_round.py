"""Two partners, each in their own FiresideApp, pair with an invite and take a full turn."""

from textual import events
from textual.message import Message

from client.app import FiresideApp
from client.decks import WARM_UP
from client.entry import Entry
from client.messages import Refused
from client.widgets.composer import Composer
from client.widgets.deck_panel import DeckPanel
from client.widgets.listening_banner import ListeningBanner
from client.widgets.reflection_starters import ReflectionStarters
from client.widgets.session_header import SessionHeader
from client.widgets.status_line import StatusLine
from client.widgets.transcript import Transcript
from shared.errors import ErrorCode
from shared.events import EventKind
from shared.messages import Say
from shared.seats import Phase, Seat
from tests.client.drive import ben_asks, burst, paired_partner, session_of, two_windows, until
from tests.timing import seconds

SIZE = (100, 30)


async def test_two_partners_pair_and_finish_a_round(server_url: str) -> None:
    """Pair with the invite; ask, share, reflect, more, reflect, confirm: round 2, roles swapped."""
    async with two_windows(server_url, SIZE) as (ana_pilot, ana_room, ben_pilot, ben_room):
        assert ana_room.query_one(StatusLine).sentence == "Paired."
        assert ben_room.query_one(StatusLine).sentence == "Paired."
        assert "with Ben" in str(ana_room.query_one(SessionHeader).render())
        assert "with Ana" in str(ben_room.query_one(SessionHeader).render())

        # Ana asks the first warm-up card from the deck.
        assert ana_pilot.app.focused is ana_room.query_one(Composer)
        await ana_pilot.press("f8")
        await until(ben_pilot, lambda: ben_room.room.phase is Phase.SHARING)
        assert ben_room.room_log[-1].text == WARM_UP.cards[0].text
        assert ben_room.room_log[-1].card == WARM_UP.cards[0].id

        # Before a word, done is shown but dimmed and pass is offered; after one, the reverse.
        assert ben_room.check_action("move", ("done",)) is None
        assert ben_room.check_action("move", ("decline",)) is True
        await ben_pilot.press(*"A long day", "ctrl+s")
        await until(ben_pilot, lambda: ben_room.room_log[-1].kind is EventKind.SAY)
        assert ben_room.check_action("move", ("done",)) is True
        assert ben_room.check_action("move", ("decline",)) is None
        await ben_pilot.press(*"but a good one", "ctrl+s")
        await ben_pilot.press("f3")
        await until(ana_pilot, lambda: ana_room.room.phase is Phase.REFLECTING)

        # Ana reflects, starting from a starter.
        assert ana_room.query_one(ReflectionStarters).display
        await ana_pilot.press("f8", *"it was long", "ctrl+s")
        await until(ben_pilot, lambda: ben_room.room.phase is Phase.CONFIRMING)

        # Not quite: Ben has more, then Ana reflects again and Ben feels heard.
        await ben_pilot.press("f6")
        await until(ben_pilot, lambda: ben_room.room.phase is Phase.SHARING)
        await ben_pilot.press(*"and good", "ctrl+s")
        await until(ben_pilot, lambda: ben_room.room_log[-1].kind is EventKind.SAY)
        await ben_pilot.press("f3")
        await until(ana_pilot, lambda: ana_room.room.phase is Phase.REFLECTING)
        await ana_pilot.press(*"it was long but good", "ctrl+s")
        await until(ben_pilot, lambda: ben_room.room.phase is Phase.CONFIRMING)
        await ben_pilot.press("f5")
        await until(ana_pilot, lambda: ana_room.room.round == 2)
        await until(ben_pilot, lambda: ben_room.room.round == 2)

        assert ben_room.room.asker is Seat.B
        assert ben_room.query_one(DeckPanel).display
        assert ana_room.query_one(ListeningBanner).display
        # Both read the same log, every seq once, and every box opened to the same words.
        ana_log = [(o.seq, o.kind, o.text, o.card) for o in ana_room.room_log]
        ben_log = [(o.seq, o.kind, o.text, o.card) for o in ben_room.room_log]
        assert ana_log == ben_log
        assert [seq for seq, *_ in ana_log] == list(range(1, len(ana_log) + 1))
        said = [(kind, text) for _, kind, text, _ in ana_log if text is not None]
        assert said == [
            (EventKind.ASK, WARM_UP.cards[0].text),
            (EventKind.SAY, "A long day"),
            (EventKind.SAY, "but a good one"),
            (EventKind.REFLECT, "What I heard you say is… it was long"),
            (EventKind.SAY, "and good"),
            (EventKind.REFLECT, "it was long but good"),
        ]
        # The pairing's own steps are not part of the conversation on screen.
        shown = set(ana_room.query_one(Transcript).seqs)
        pairing = {o.seq for o in ana_room.room_log if o.kind in (EventKind.PAKE, EventKind.VERIFY)}
        assert pairing
        assert not shown & pairing


async def test_listening_mode_closes_the_composer_and_the_server_refuses_a_say(
    server_url: str,
) -> None:
    """The listener cannot type, ctrl+s does nothing, and a `say` sent anyway is `listening`."""
    refusals: list[Refused] = []

    def keep_refusals(message: Message) -> None:
        if isinstance(message, Refused):
            refusals.append(message)

    async with two_windows(server_url, SIZE, ben_hook=keep_refusals) as (
        ana_pilot,
        ana_room,
        ben_pilot,
        ben_room,
    ):
        composer = ben_room.query_one(Composer)
        assert composer.disabled
        assert ben_room.query_one(ListeningBanner).display
        assert ben_room.check_action("send", ("say",)) is False
        await ben_pilot.press(*"advice", "ctrl+s")
        assert composer.text == ""
        banner = ben_room.query_one(ListeningBanner)
        assert "Nothing was sent." in str(banner.render())
        log_before = list(ben_room.room_log)

        # Bypass the client's own gate: the server must still refuse.
        assert await ben_room.link.send(Say(box=b"\x00" * 40))
        await until(ben_pilot, lambda: refusals)
        assert refusals[0].error.code is ErrorCode.LISTENING
        assert ben_room.room_log == log_before
        assert "listening" in ben_room.query_one(StatusLine).sentence

        # A nod is what the listener may send, and both sides see it.
        await ben_pilot.press("2")
        await until(ana_pilot, lambda: ana_room.room_log[-1].kind is EventKind.NOD)
        assert ben_pilot.app.focused is not composer


async def test_nod_keys_are_plain_digits_while_holding_the_floor(server_url: str) -> None:
    """For the floor holder 1, 2 and 3 are text in the composer, never a nod."""
    seen: list[Message] = []
    ana = FiresideApp(Entry(server_url, "Ana"), enter_now=True)
    async with ana.run_test(size=SIZE, message_hook=seen.append) as ana_pilot:
        ben = await paired_partner(ana_pilot, ana)
        ana_room = session_of(ana)
        ana_room.query_one(Composer).focus()
        await ana_pilot.press(*"123 go", "ctrl+s")
        await until(ana_pilot, lambda: ana_room.room.phase is Phase.SHARING)
        assert ana_room.room_log[-1].kind is EventKind.ASK
        assert ana_room.room_log[-1].text == "123 go"
        assert ana_room.room_log[-1].card is None
        assert (await ben.until_kind(EventKind.ASK)).text == "123 go"
        assert ana_room.query_one(Composer).text == ""
        # Writing was announced and withdrawn while Ana still held the floor: no refusals.
        await ana_pilot.pause(seconds(0.3))
        assert not [m for m in seen if isinstance(m, Refused)]
        await ben.close()


async def test_done_with_unsent_words_sends_them_first(server_url: str) -> None:
    """F3 with words still in the composer shares them as a `say`, then yields: nothing is lost."""
    async with two_windows(server_url, SIZE) as (ana_pilot, ana_room, ben_pilot, ben_room):
        await ana_pilot.press("f8")
        await until(ben_pilot, lambda: ben_room.room.phase is Phase.SHARING)

        await ben_pilot.press(*"first part", "ctrl+s")
        await until(ben_pilot, lambda: ben_room.room_log[-1].kind is EventKind.SAY)
        await ben_pilot.press(*"and the rest", "f3")
        await until(ana_pilot, lambda: ana_room.room.phase is Phase.REFLECTING)

        kinds = [(opened.kind, opened.text) for opened in ana_room.room_log[-3:]]
        assert kinds == [
            (EventKind.SAY, "first part"),
            (EventKind.SAY, "and the rest"),
            (EventKind.DONE, None),
        ]
        assert ben_room.query_one(Composer).text == ""


async def test_done_with_only_unsent_words_shares_them_and_yields(server_url: str) -> None:
    """F3 before any `say`, with words in the composer, sends them and then `done`."""
    async with two_windows(server_url, SIZE) as (ana_pilot, ana_room, ben_pilot, ben_room):
        await ana_pilot.press("f8")
        await until(ben_pilot, lambda: ben_room.room.phase is Phase.SHARING)

        await ben_pilot.press(*"all of it at once", "f3")
        await until(ana_pilot, lambda: ana_room.room.phase is Phase.REFLECTING)
        kinds = [(opened.kind, opened.text) for opened in ana_room.room_log[-2:]]
        assert kinds == [(EventKind.SAY, "all of it at once"), (EventKind.DONE, None)]


async def test_done_right_after_the_first_say_counts_in_one_burst(server_url: str) -> None:
    """ctrl+s then F3 at once, before the first `say` of the turn is back from the server:
    the words are shared and the turn is done, as if pressed slowly."""
    ana = FiresideApp(Entry(server_url, "Ana"), enter_now=True)
    async with ana.run_test(size=SIZE) as pilot:
        room, ben = await ben_asks(pilot, ana, "How was the rain?")

        for key in [*burst("Soft on the roof"), events.Key("ctrl+s", None), events.Key("f3", None)]:
            ana.post_message(key)
        await pilot.pause()
        await until(pilot, lambda: room.room.phase is Phase.REFLECTING)
        kinds = [(opened.kind, opened.text) for opened in room.room_log[-2:]]
        assert kinds == [(EventKind.SAY, "Soft on the roof"), (EventKind.DONE, None)]
        await ben.close()


async def test_words_typed_right_after_ctrl_s_wait_in_the_box_for_the_next_message(
    server_url: str,
) -> None:
    """In one burst, words, ctrl+s and more words: the first words go alone, and what came
    after ctrl+s stays in the composer, neither run into them nor lost."""
    ana = FiresideApp(Entry(server_url, "Ana"), enter_now=True)
    async with ana.run_test(size=SIZE) as pilot:
        room, ben = await ben_asks(pilot, ana, "How was the rain?")

        ctrl_s = events.Key("ctrl+s", None)
        for key in [*burst("first part"), ctrl_s, *burst(" and the rest")]:
            ana.post_message(key)
        await pilot.pause()
        said = await ben.until_kind(EventKind.SAY)
        assert said.words == {"text": "first part"}
        composer = room.query_one(Composer)
        await until(pilot, lambda: composer.text.strip() == "and the rest")
        await ben.close()
