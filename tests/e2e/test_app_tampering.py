"""The real app, behind a server that relabels one of Ben's answers, stops without showing it."""

from client.app import FiresideApp
from client.entry import Entry
from client.seat.sealed import TAMPERED
from client.widgets.status_line import StatusLine
from client.widgets.transcript import TranscriptEntry
from shared.events import EventKind
from shared.messages import MessageType
from shared.seats import Phase
from tests.client.drive import invite_of, session_of, until
from tests.e2e.partner import partner
from tests.e2e.relay import Relay
from tests.e2e.test_tampering import ANSWERS, on_says, relabel


async def test_the_app_shows_the_stop_sentence_and_never_the_relabelled_answer(
    wire: Relay,
) -> None:
    """Ana's window shows Ben's first answer, then the stop sentence, and never the second."""
    wire.tamper[0] = on_says(relabel)
    ana = FiresideApp(Entry(f"ws://127.0.0.1:{wire.port}", "Ana"), enter_now=True)
    async with ana.run_test(size=(100, 30)) as pilot:
        invite = await invite_of(pilot, ana)
        async with partner(wire.port, "Ben") as ben:
            await ben.join(invite)
            room = session_of(ana)
            await until(pilot, lambda: room.room.phase is Phase.ASKING)
            await pilot.press("f8")
            await ben.until(lambda: ben.events[-1].kind is EventKind.ASK, "Ana's question")
            for answer in ANSWERS:
                await ben.act(MessageType.SAY, text=answer)
            await until(pilot, lambda: room.stopped)

            assert room.query_one(StatusLine).sentence == TAMPERED
            shown = " ".join(str(entry.render()) for entry in room.query(TranscriptEntry))
            assert ANSWERS[0] in shown
            assert ANSWERS[1] not in shown
            assert ANSWERS[2] not in shown
