"""The small print stays small: nods show for a moment and never ring, presence reads once."""

from client.app import FiresideApp
from client.entry import Entry
from client.settings import Settings
from client.widgets.nod_echo import NodEcho
from client.widgets.status_line import StatusLine
from client.widgets.transcript import Transcript, TranscriptEntry
from shared.events import EventKind
from shared.seats import Seat
from tests.client.drive import ben_asks, two_windows, until
from tests.timing import seconds

SIZE = (100, 30)


def shown(transcript: Transcript) -> list[str]:
    """Each transcript entry's words, top to bottom."""
    return [entry.shown.plain for entry in transcript.query(TranscriptEntry)]


async def test_a_nod_shows_quietly_fades_and_never_rings(server_url: str) -> None:
    """Ben's nods reach Ana as a passing glyph, one dim run-on line, and no bell even if wanted."""
    ana = FiresideApp(Entry(server_url, "Ana"), enter_now=True, settings=Settings(bell=True))
    rings: list[None] = []
    async with ana.run_test(size=SIZE) as pilot:
        ana.bell = lambda: rings.append(None)  # type: ignore[method-assign]
        room, ben = await ben_asks(pilot, ana, "What made you smile?")
        await pilot.press(*"The dog at the gate", "ctrl+s")
        await ben.until_kind(EventKind.SAY)
        # The floor coming to Ana rang, as she asked it to: the bell is live. Nods must not ring it.
        rings_before = len(rings)
        assert rings_before > 0
        echo = room.query_one(NodEcho)
        echo.shown_for = seconds(0.5)
        assert not echo.display

        await ben.send(t="nod", kind="heart")
        await until(pilot, lambda: echo.nod == "♥")
        assert echo.display
        assert str(echo.render()) == "Ben: ♥"
        await ben.send(t="nod", kind="hear")
        await until(pilot, lambda: echo.nod == "I hear you")
        transcript = room.query_one(Transcript)
        nods = [entry for entry in transcript.query(TranscriptEntry) if entry.has_class("nod")]
        assert [entry.shown.plain for entry in nods] == ["Ben: ♥ · I hear you"]
        await until(pilot, lambda: echo.nod is None)
        assert not echo.display
        assert len(rings) == rings_before
        await ben.close()


async def test_comings_and_goings_fold_into_one_quiet_line(server_url: str) -> None:
    """Ben's two drops read as one line for Ana once he is back, and none in his own transcript."""
    async with two_windows(server_url, SIZE) as (ana_pilot, ana_room, ben_pilot, ben_room):
        lines_before = shown(ana_room.query_one(Transcript))
        for drop in range(2):
            websocket = ben_room.link.websocket
            assert websocket is not None
            websocket.transport.abort()
            backs = 1 + drop

            def ana_saw_him_back(backs: int = backs) -> bool:
                log = ana_room.room_log
                seen = [o for o in log if o.kind is EventKind.BACK and o.by is Seat.B]
                return len(seen) == backs and ana_room.room.online[Seat.B]

            await until(ana_pilot, ana_saw_him_back, within=10)
        await until(
            ben_pilot, lambda: ben_room.query_one(StatusLine).sentence == "Connected again."
        )
        assert shown(ana_room.query_one(Transcript)) == [
            *lines_before,
            "Ben was away for a moment.",
        ]
        ben_lines = shown(ben_room.query_one(Transcript))
        assert not [line for line in ben_lines if "away" in line or "back" in line]
