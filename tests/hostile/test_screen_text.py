"""Every string a partner (or a server) controls reaches the other screen as plain text, and a
sealed one that breaks the text rules does not reach it at all."""

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from textual.widget import Widget
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from client.app import FiresideApp
from client.entry import Entry
from client.screens.session import SessionScreen
from client.seat.sealed import TAMPERED
from client.widgets.composer import Composer
from client.widgets.listening_banner import ListeningBanner
from client.widgets.session_header import SessionHeader
from client.widgets.status_line import StatusLine
from client.widgets.transcript import Transcript, TranscriptEntry
from client.widgets.typing_indicator import TypingIndicator
from shared.codec import encode
from shared.errors import ErrorCode
from shared.events import ErrorReply, Event, EventKind, Joined, RoomState, TypingNotice
from shared.fields import displayable
from shared.messages import MessageType
from shared.seats import Phase, Seat
from tests.client.drive import paired_partner, session_of, until
from tests.hostile.screen import links, shown
from tests.hostile.test_sealed_text import HOSTILE, forged_for

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
    """Markup, links, grapheme clusters, a 4,000-letter word and 200 newlines, sealed by a
    paired partner and opened by the app, are shown character for character, with no link, in
    the transcript, header and typing line."""
    ana = FiresideApp(Entry(server_url, "Ana"), enter_now=True)
    async with ana.run_test(size=SIZE) as pilot:
        ben = await paired_partner(pilot, ana, NAME)
        room = session_of(ana)
        assert ana.focused is room.query_one(Composer)
        await pilot.press("f8")
        await until(pilot, lambda: room.room.phase is Phase.SHARING)

        await ben.send(t="typing", on=True)
        await until(pilot, lambda: room.query_one(TypingIndicator).writer is not None)
        assert f"{NAME} is writing…" in shown(room.query_one(TypingIndicator))
        assert NAME in shown(room.query_one(ListeningBanner))
        started = time.monotonic()
        for text in (f"S {MARKUP}", GRAPHEMES, LONG_WORD, NEWLINES):
            await ben.say(text)
        await ben.send(t="done")
        await until(pilot, lambda: room.room.phase is Phase.REFLECTING)
        took = time.monotonic() - started
        await pilot.press(*"heard", "ctrl+s")
        await until(pilot, lambda: room.room.phase is Phase.CONFIRMING)
        await ben.send(t="confirm")
        await until(pilot, lambda: room.room.phase is Phase.ASKING)
        await ben.ask(f"Q {MARKUP}")
        await until(pilot, lambda: room.room.phase is Phase.SHARING)
        await pilot.press(*"fine", "ctrl+s", "f3")
        await until(pilot, lambda: room.room.phase is Phase.REFLECTING)
        await ben.reflect(f"R {MARKUP}\n{GRAPHEMES}")
        await until(pilot, lambda: room.room.phase is Phase.CONFIRMING)

        entries = {entry.seq: entry for entry in room.query(TranscriptEntry)}
        texts = {opened.seq: opened.text for opened in room.room_log if opened.text}
        seq_of = {text: seq for seq, text in texts.items()}
        [hello] = [o.seq for o in room.room_log if o.kind is EventKind.HELLO and o.by is Seat.B]
        assert NAME in shown(entries[hello])  # "Paired with [/]Ben[link…]: …"
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
        print(f"\nplain text: 4 sealed hostile answers and done shown in {took:.2f} s")
        # Ben never read his replies: a polite close would wait out its timeout behind them.
        ben.websocket.transport.abort()


@pytest.mark.parametrize("name", ["CSI colour", "OSC 8 hyperlink", "right-to-left override", "NUL"])
async def test_a_partner_with_the_key_cannot_put_controls_on_the_screen(
    server_url: str, name: str
) -> None:
    """A paired partner whose changed client seals an escape sequence, a control or a bidi
    override anyway: the app opens the box, refuses it, shows none of it and stops with the
    stop sentence; nothing after it is shown either."""
    value = HOSTILE[name]
    ana = FiresideApp(Entry(server_url, "Ana"), enter_now=True)
    async with ana.run_test(size=SIZE) as pilot:
        ben = await paired_partner(pilot, ana)
        room = session_of(ana)
        await pilot.press("f8")
        await until(pilot, lambda: room.room.phase is Phase.SHARING)
        await ben.say("an honest first answer")
        await until(pilot, lambda: room.room_log[-1].text == "an honest first answer")
        assert ben.key is not None
        box = forged_for(ben.key, Seat.B, MessageType.SAY, {"text": f"x{value}y"}, ben.sealed)
        await ben.send_box("say", box)
        ben.sealed += 1
        await ben.say("said after it")
        await until(pilot, lambda: room.query_one(StatusLine).sentence == TAMPERED)

        assert room.stopped
        assert room.room_log[-1].text == "an honest first answer"
        widgets = [*partner_widgets(room), room.query_one(StatusLine)]
        for widget in widgets:
            on_screen = shown(widget)
            assert "x" + displayable(value) + "y" not in on_screen
            assert "said after it" not in on_screen
            assert not set(on_screen) & UNPRINTABLE, on_screen
        assert not room.query_one(Composer).display or room.query_one(Composer).disabled
        await ben.close()


EVIL = "".join(HOSTILE.values())
"""Every character the field rules forbid, as a server that ignores them might send it."""
UNPRINTABLE = {character for character in EVIL if not character.isprintable()}


@asynccontextmanager
async def malicious_server(heard: list[bytes], code: str) -> AsyncIterator[str]:
    """A fireside.2 websocket server that is not ours. It cannot read or forge a box, so it
    sends what it does control: the room `code`, an error message and a typing notice full of
    forbidden characters, then a partner's `ask` whose box is junk; it keeps what it is sent."""
    names: dict[Seat, bytes | None] = {Seat.A: None, Seat.B: None}
    online = dict.fromkeys(Seat, True)
    waiting = RoomState(Phase.WAITING, 1, Seat.A, names, online)
    sharing = RoomState(Phase.SHARING, 1, Seat.B, names, online)
    log = (Event(1, 1, EventKind.JOINED, Seat.A, waiting),)
    later = (
        ErrorReply(ErrorCode.WRONG_PHASE, f"no{EVIL}", re=None),
        TypingNotice(Seat.B, on=True),
        Event(2, 2, EventKind.ASK, Seat.B, sharing, box=bytes(12) + EVIL.encode() + bytes(16)),
    )

    async def handler(connection: ServerConnection) -> None:
        await connection.recv()
        await connection.send(encode(Joined(code, Seat.A, "t" * 22, log, waiting).to_wire()))
        await asyncio.sleep(0.1)
        for reply in later:
            await connection.send(encode(reply.to_wire()))
        # The client may drop the connection its own way (1011 when its link stops at once).
        with contextlib.suppress(ConnectionClosed):
            async for frame in connection:
                assert isinstance(frame, bytes)
                heard.append(frame)

    async with serve(handler, "127.0.0.1", 0, subprotocols=[Subprotocol("fireside.2")]) as fake:
        yield f"ws://127.0.0.1:{fake.sockets[0].getsockname()[1]}"


def test_displayable_replaces_exactly_what_the_field_rules_forbid() -> None:
    """Each forbidden character becomes U+FFFD; markup, graphemes, tabs and newlines stay."""
    for value in HOSTILE.values():
        cleaned = displayable(value)
        assert all(character.isprintable() for character in cleaned), cleaned
        assert "\ufffd" in cleaned
    for value in (MARKUP, GRAPHEMES, NEWLINES, "a\tb", NAME):
        assert displayable(value) == value


@pytest.mark.parametrize("code", ["K7M2Q-X9P4R", f"C{EVIL}"], ids=["code", "evil-code"])
async def test_a_malicious_server_cannot_put_controls_on_the_screen(code: str) -> None:
    """Escape sequences, C0/C1 controls and bidi overrides in what a rogue server controls
    (the room code, an error, the typing line) never reach the terminal, and a box it made up
    stops the session with the stop sentence instead of being shown."""
    heard: list[bytes] = []
    async with malicious_server(heard, code) as url:
        ana = FiresideApp(Entry(url, "Ana"), enter_now=True)
        async with ana.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: isinstance(ana.screen, SessionScreen))
            room = session_of(ana)
            # The link stops with the stop sentence: for the made-up box, or at once for a
            # room code that is no nameplate, which nothing could be paired with.
            status = room.query_one(StatusLine)
            await until(pilot, lambda: room.stopped and status.sentence == TAMPERED)
            widgets = [*partner_widgets(room), room.query_one(StatusLine)]
            on_screen = [shown(widget) for widget in widgets]
            for text in on_screen:
                assert not set(text) & UNPRINTABLE, text
                assert "red" not in text, text
            for widget in widgets:
                assert links(widget) == [], widget
            assert all(o.kind is not EventKind.ASK for o in room.room_log)
