"""End to end: a wrong code shares nothing and burns the room, the phrase matches, a tampered box
stops the session unseen."""

from typing import Any

import pytest
from textual.pilot import Pilot

from client.app import FiresideApp
from client.entry import Entry
from client.screens.phrase_dialog import PhraseDialog
from client.screens.welcome import WelcomeScreen
from client.seat.sealed import MISMATCHED, TAMPERED
from client.widgets.composer import Composer
from client.widgets.status_line import StatusLine
from client.widgets.transcript import TranscriptEntry
from shared.crypto.boxes import Sealer
from shared.crypto.invite import invite_code, parse_invite
from shared.events import EventKind
from shared.messages import MessageType
from shared.seats import Phase, Seat
from tests.client.drive import (
    FrameRecorder,
    WireMember,
    ben_asks,
    in_room,
    invite_of,
    paired_partner,
    session_of,
    until,
)

SIZE = (100, 30)
SECRET = "words that must never reach the screen"


def wrong_words(invite: str) -> str:
    """The same nameplate with other words: what a misheard code looks like."""
    parsed = parse_invite(invite)
    others = ("orbit", "velvet", "canyon")
    if parsed.words == others:
        others = ("canyon", "velvet", "orbit")
    return invite_code(parsed.nameplate, others)


async def test_a_wrong_code_shares_nothing_and_burns_the_room(server_url: str) -> None:
    """Wrong words: both windows say it did not match, no word was sent, and the room stays shut."""
    async with FrameRecorder(server_url) as recorder:
        ana = FiresideApp(Entry(recorder.url, "Ana"), enter_now=True)
        async with ana.run_test(size=SIZE) as ana_pilot:
            invite = await invite_of(ana_pilot, ana)
            misheard = wrong_words(invite)
            ben = FiresideApp(Entry.joining(recorder.url, "Ben", misheard), enter_now=True)
            async with ben.run_test(size=SIZE) as ben_pilot:
                ana_room, ben_room = session_of(ana), session_of(ben)
                await until(ana_pilot, lambda: ana_room.stopped)
                await until(ben_pilot, lambda: ben_room.stopped)
                for room in (ana_room, ben_room):
                    assert room.query_one(StatusLine).sentence == MISMATCHED
                    assert room.query_one(Composer).disabled
                    assert room.room.phase is not Phase.ASKING
                    assert room.check_action("phrase", ()) is False

            # Even with the right words, nobody gets into a burned room.
            cleo = FiresideApp(Entry.joining(recorder.url, "Cleo", invite), enter_now=True)
            async with cleo.run_test(size=SIZE) as cleo_pilot:
                await until(
                    cleo_pilot,
                    lambda: isinstance(cleo.screen, WelcomeScreen) and cleo.screen.problem,
                )
                assert isinstance(cleo.screen, WelcomeScreen)
                assert cleo.screen.problem == MISMATCHED
                assert not in_room(cleo)

    assert "mismatch" in recorder.sent
    assert recorder.sent.count("pake") == 2
    sealed = {"hello", "ask", "say", "reflect"}
    assert not sealed & set(recorder.sent), recorder.sent


async def test_the_phrase_is_the_same_in_both_windows(server_url: str) -> None:
    """F7 shows four words, the same on both sides, and closes again; none before pairing."""
    ana = FiresideApp(Entry(server_url, "Ana"), enter_now=True)
    async with ana.run_test(size=SIZE) as ana_pilot:
        invite = await invite_of(ana_pilot, ana)
        assert session_of(ana).check_action("phrase", ()) is False
        ben = FiresideApp(Entry.joining(server_url, "Ben", invite), enter_now=True)
        async with ben.run_test(size=SIZE) as ben_pilot:
            phrases = [
                await phrase_shown(ana, ana_pilot),
                await phrase_shown(ben, ben_pilot),
            ]
            assert phrases[0] == phrases[1]
            assert len(phrases[0].split()) == 4


async def phrase_shown(app: FiresideApp, pilot: Pilot[Any]) -> str:
    """Once paired, F7's phrase; escape closes the dialog again."""
    await until(pilot, lambda: session_of(app).room.phase is Phase.ASKING)
    await pilot.press("f7")
    await until(pilot, lambda: isinstance(app.screen, PhraseDialog))
    assert isinstance(app.screen, PhraseDialog)
    phrase = app.screen.phrase
    await pilot.press("escape")
    assert not isinstance(app.screen, PhraseDialog)
    return phrase


@pytest.mark.parametrize("tampering", ["wrong counter", "relabelled"])
async def test_a_tampered_box_stops_the_session_unseen(server_url: str, tampering: str) -> None:
    """A box sealed with another counter, or as another type, is never shown: the session stops."""
    ana = FiresideApp(Entry(server_url, "Ana"), enter_now=True)
    async with ana.run_test(size=SIZE) as pilot:
        ben = await paired_partner(pilot, ana)
        room = session_of(ana)
        await pilot.press("f8")
        await until(pilot, lambda: room.room.phase is Phase.SHARING)
        await ben.until_kind(EventKind.ASK)
        assert ben.key is not None
        if tampering == "wrong counter":
            sealer = Sealer(ben.key, ben.seat, sealed=ben.sealed + 1)
            box = sealer.seal(MessageType.SAY, {"text": SECRET})
        else:
            sealer = Sealer(ben.key, ben.seat, sealed=ben.sealed)
            box = sealer.seal(MessageType.REFLECT, {"text": SECRET})
        await ben.send_box("say", box)
        await until(pilot, lambda: room.stopped)

        assert room.query_one(StatusLine).sentence == TAMPERED
        assert room.room_log[-1].kind is EventKind.ASK
        shown = " ".join(str(entry.render()) for entry in room.query(TranscriptEntry))
        assert SECRET not in shown
        assert room.query_one(Composer).disabled
        assert room.check_action("nod", ("heart",)) is False
        assert room.link.websocket is None
        await ben.close()


async def test_every_move_of_the_app_carries_a_box_that_opens(server_url: str) -> None:
    """The app's nod, handover and leave are sealed in its one count; the partner opens each."""
    ana = FiresideApp(Entry(server_url, "Ana"), enter_now=True)
    async with ana.run_test(size=SIZE) as pilot:
        ben = await paired_partner(pilot, ana)
        room = session_of(ana)
        await pilot.press("f2")
        handover = await ben.until_kind(EventKind.HANDOVER)
        assert handover.event.box is not None
        assert handover.words == {}
        await ben.ask("And you?")
        await until(pilot, lambda: room.room.phase is Phase.SHARING)
        await ben.send(t="nod", kind="time")  # Ben is listening: his nod is sealed too
        await until(pilot, lambda: room.room_log[-1].kind is EventKind.NOD)
        await room.link.leave()
        left = await ben.until_kind(EventKind.LEFT)
        assert left.event.box is not None
        assert left.words == {}
        assert ben.opener is not None
        assert ben.opener.opened(Seat.A) == 3  # hello, handover, leave
        assert not room.stopped
    await ben.close()


@pytest.mark.parametrize("forgery", ["no box", "the say's box", "relabelled"])
async def test_a_forged_move_stops_the_session(server_url: str, forgery: str) -> None:
    """A `done` with no box, with another event's box, or with a `confirm`'s box stops the app
    as a tampered box does: the server could have made it up."""
    ana = FiresideApp(Entry(server_url, "Ana"), enter_now=True)
    async with ana.run_test(size=SIZE) as pilot:
        ben = await paired_partner(pilot, ana)
        room = session_of(ana)
        await pilot.press("f8")
        await until(pilot, lambda: room.room.phase is Phase.SHARING)
        await ben.until_kind(EventKind.ASK)
        await ben.say("One thing.")
        said = await ben.until_kind(EventKind.SAY)
        await until(pilot, lambda: room.room_log[-1].kind is EventKind.SAY)
        if forgery == "no box":
            await WireMember.send(ben, t="done")
            kind = EventKind.DONE
        elif forgery == "the say's box":
            await WireMember.send(ben, t="done", box=said.event.box)
            kind = EventKind.DONE
        else:
            await WireMember.send(ben, t="done", box=ben.seal(MessageType.CONFIRM, {}))
            kind = EventKind.DONE
        await until(pilot, lambda: room.stopped)

        assert room.query_one(StatusLine).sentence == TAMPERED
        assert room.room_log[-1].kind is not kind
        assert room.link.websocket is None
    await ben.close()


async def test_a_nod_whose_box_holds_another_kind_stops_the_session(server_url: str) -> None:
    """A nod shown as `time` whose box says `heart` is a relabelled nod: the session stops."""
    ana = FiresideApp(Entry(server_url, "Ana"), enter_now=True)
    async with ana.run_test(size=SIZE) as pilot:
        room, ben = await ben_asks(pilot, ana, "And you?")
        box = ben.seal(MessageType.NOD, {"kind": "heart"})
        await WireMember.send(ben, t="nod", kind="time", box=box)
        await until(pilot, lambda: room.stopped)

        assert room.query_one(StatusLine).sentence == TAMPERED
        assert room.room_log[-1].kind is EventKind.ASK
    await ben.close()
