"""Every string a partner (or a server) controls reaches the other screen as plain text."""

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from textual.widget import Widget
from websockets.asyncio.server import ServerConnection, serve
from websockets.typing import Subprotocol

from client.app import FiresideApp
from client.entry import Entry
from client.screens.session import SessionScreen
from client.widgets.deck_panel import DeckPanel
from client.widgets.listening_banner import ListeningBanner
from client.widgets.session_header import SessionHeader
from client.widgets.status_line import StatusLine
from client.widgets.transcript import Transcript, TranscriptEntry
from client.widgets.typing_indicator import TypingIndicator
from shared.codec import encode
from shared.events import Event, EventKind, Joined, RoomState, TypingNotice
from shared.fields import displayable
from shared.seats import Phase, Seat
from tests.client.drive import WireMember, in_room, session_of, until
from tests.hostile.screen import links, shown
from tests.hostile.test_wire_text import HOSTILE

SIZE = (100, 30)
NAME = "[/]Ben[link=http://evil]x[/link]"
"""32 code points of markup: the longest name there is."""
MARKUP = "[bold]b[/] [link=http://evil]l[/link] [/] [@click=app.quit]q[/]"
GRAPHEMES = "\U0001f469\u200d\U0001f469\u200d\U0001f467 e\u0301\u0301 \u0915\u094d\u0937"
LONG_WORD = "\u0436" * 4000
NEWLINES = "top" + "\n" * 200 + "bottom"


def partner_widgets(room: SessionScreen) -> list[Widget]:
    return [
        *room.query(TranscriptEntry),
        room.query_one(SessionHeader),
        room.query_one(TypingIndicator),
        room.query_one(ListeningBanner),
    ]


async def test_partner_text_is_shown_literally_and_the_app_stays_responsive(
    server_url: str,
) -> None:
    """Markup, links, grapheme clusters, a 4,000-letter word and 200 newlines from a partner are
    shown character for character, with no link, in the transcript, header and typing line."""
    ana = FiresideApp(Entry(server_url, "Ana"), enter_now=True)
    async with ana.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: in_room(ana))
        room = session_of(ana)
        ben = await WireMember.join(server_url, room.code, NAME)
        await until(pilot, lambda: room.room.phase is Phase.ASKING)
        assert ana.focused is room.query_one(DeckPanel)
        await pilot.press("enter")
        await until(pilot, lambda: room.room.phase is Phase.SHARING)

        await ben.send(t="typing", on=True)
        await until(pilot, lambda: room.query_one(TypingIndicator).writer is not None)
        assert f"{NAME} is writing…" in shown(room.query_one(TypingIndicator))
        assert NAME in shown(room.query_one(ListeningBanner))
        started = time.monotonic()
        for text in (f"S {MARKUP}", GRAPHEMES, LONG_WORD, NEWLINES):
            await ben.send(t="say", text=text)
        await ben.send(t="done")
        await until(pilot, lambda: room.room.phase is Phase.REFLECTING)
        took = time.monotonic() - started
        await pilot.press(*"heard", "ctrl+s")
        await until(pilot, lambda: room.room.phase is Phase.CONFIRMING)
        await ben.send(t="confirm")
        await until(pilot, lambda: room.room.phase is Phase.ASKING)
        await ben.send(t="ask", text=f"Q {MARKUP}")
        await until(pilot, lambda: room.room.phase is Phase.SHARING)
        await pilot.press(*"fine", "ctrl+s", "f3")
        await until(pilot, lambda: room.room.phase is Phase.REFLECTING)
        await ben.send(t="reflect", text=f"R {MARKUP}\n{GRAPHEMES}")
        await until(pilot, lambda: room.room.phase is Phase.CONFIRMING)

        entries = {entry.seq: entry for entry in room.query(TranscriptEntry)}
        texts = {event.seq: event.text for event in room.room_log if event.text}
        seq_of = {text: seq for seq, text in texts.items()}
        assert NAME in shown(entries[2])  # "[/]Ben[link…] joined the room."
        assert f"S {MARKUP}" in shown(entries[seq_of[f"S {MARKUP}"]])
        assert f"Q {MARKUP}" in shown(entries[seq_of[f"Q {MARKUP}"]])
        reflected = shown(entries[seq_of[f"R {MARKUP}\n{GRAPHEMES}"]])
        assert f"R {MARKUP}" in reflected
        assert GRAPHEMES in reflected
        assert GRAPHEMES in shown(entries[seq_of[GRAPHEMES]])
        assert shown(entries[seq_of[LONG_WORD]]).count("\u0436") == 4000
        many_lines = entries[seq_of[NEWLINES]]
        assert many_lines.size.height == NEWLINES.count("\n") + 1
        assert shown(many_lines).split() == ["top", "bottom"]
        assert room.query_one(Transcript).max_scroll_x == 0
        assert NAME in shown(room.query_one(SessionHeader))
        for widget in partner_widgets(room):
            assert links(widget) == [], widget

        # Still responsive: Ana feels heard, and round 3 begins at once.
        await pilot.press("f5")
        await until(pilot, lambda: room.room.round == 3, within=1)
        print(f"\nplain text: 4 hostile answers and done shown in {took:.2f} s; app responsive")
        # Ben never read his replies: a polite close would wait out its timeout behind them.
        ben.websocket.transport.abort()


EVIL = "".join(HOSTILE.values())
"""Every character the field rules forbid, as a server that ignores them might send it."""
UNPRINTABLE = {character for character in EVIL if not character.isprintable()}


@asynccontextmanager
async def malicious_server(heard: list[bytes]) -> AsyncIterator[str]:
    """A websocket server that is not ours: it seats anyone, sends forbidden characters in the
    room code, the partner's name, a question and a card, then keeps what it is sent in `heard`."""
    names = {Seat.A: "Ana", Seat.B: f"B{EVIL}"}
    online = dict.fromkeys(Seat, True)
    asking = RoomState(Phase.ASKING, 1, Seat.B, names, online)
    sharing = RoomState(Phase.SHARING, 1, Seat.B, names, online)
    reflecting = RoomState(Phase.REFLECTING, 1, Seat.B, names, online)
    log = (
        Event(1, 1, EventKind.JOINED, Seat.A, asking),
        Event(2, 2, EventKind.JOINED, Seat.B, asking),
    )
    later = (
        Event(3, 3, EventKind.ASK, Seat.B, sharing, text=f"Q{EVIL}", card=f"c{EVIL}"),
        Event(4, 4, EventKind.SAY, Seat.A, sharing, text="fine"),
        Event(5, 5, EventKind.DONE, Seat.A, reflecting),
    )

    async def handler(connection: ServerConnection) -> None:
        await connection.recv()
        await connection.send(encode(Joined(f"C{EVIL}", Seat.A, "t" * 22, log, asking).to_wire()))
        await asyncio.sleep(0.1)
        for event in later:
            await connection.send(encode(event.to_wire()))
        await connection.send(encode(TypingNotice(Seat.B, on=True).to_wire()))
        async for frame in connection:
            assert isinstance(frame, bytes)
            heard.append(frame)

    async with serve(handler, "127.0.0.1", 0, subprotocols=[Subprotocol("fireside.1")]) as fake:
        yield f"ws://127.0.0.1:{fake.sockets[0].getsockname()[1]}"


def test_displayable_replaces_exactly_what_the_field_rules_forbid() -> None:
    """Each forbidden character becomes U+FFFD; markup, graphemes, tabs and newlines stay."""
    for value in HOSTILE.values():
        cleaned = displayable(value)
        assert all(character.isprintable() for character in cleaned), cleaned
        assert "\ufffd" in cleaned
    for value in (MARKUP, GRAPHEMES, NEWLINES, "a\tb", NAME):
        assert displayable(value) == value


async def test_a_malicious_server_cannot_put_controls_on_the_screen() -> None:
    """Escape sequences, C0/C1 controls and bidi overrides from a rogue server are shown as
    U+FFFD in the transcript, the header and the typing line, never sent to the terminal."""
    heard: list[bytes] = []
    async with malicious_server(heard) as url:
        ana = FiresideApp(Entry(url, "Ana"), enter_now=True)
        async with ana.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: in_room(ana))
            room = session_of(ana)
            await until(pilot, lambda: room.room.phase is Phase.REFLECTING)
            await until(pilot, lambda: room.query_one(TypingIndicator).writer is not None)
            widgets = [*partner_widgets(room), room.query_one(StatusLine)]
            on_screen = [shown(widget) for widget in widgets]
            assert any("Qa\ufffd[31mred" in text for text in on_screen), on_screen
            typing_line = shown(room.query_one(TypingIndicator))
            assert typing_line.strip().startswith("Ba\ufffd[31mred"), typing_line
            for text in on_screen:
                assert not set(text) & UNPRINTABLE, text
            for widget in widgets:
                assert links(widget) == [], widget
            # Still responsive: a nod goes out at once.
            await pilot.press("1")
            await until(pilot, lambda: any(b"nod" in frame for frame in heard), within=1)
