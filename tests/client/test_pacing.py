"""Gentle pacing: minutes from the server's `at` times, and one reminder at the chosen time."""

from client.app import FiresideApp
from client.entry import Entry
from client.pacing import REMINDER, minutes_between, pace_words
from client.settings import Settings
from client.widgets.composer import Composer
from client.widgets.pace_note import PaceNote
from client.widgets.status_line import StatusLine
from client.widgets.typing_indicator import TypingIndicator
from shared.events import EventKind
from shared.seats import Phase
from tests.client.drive import ben_answers, until
from tests.timing import seconds

SIZE = (100, 30)


def test_minutes_count_from_the_question_and_never_go_below_zero() -> None:
    """Whole minutes from the event's `at`; a client clock behind the server's reads as 0."""
    assert minutes_between(60_000, 60.0 + 179) == 2
    assert minutes_between(60_000, 30.0) == 0
    assert pace_words(0, Phase.SHARING) == ""
    assert pace_words(3, Phase.SHARING) == "sharing for 3 min"
    assert pace_words(3, Phase.REFLECTING) == "3 min into this turn"


async def test_the_turn_shows_its_minutes_and_reminds_once_at_the_chosen_time(
    server_url: str,
) -> None:
    """With a 10-minute pace and a clock moved on, the note counts minutes and reminds just once."""
    ana = FiresideApp(Entry(server_url, "Ana"), enter_now=True, settings=Settings(pace_minutes=10))
    async with ana.run_test(size=SIZE) as pilot:
        room, ben = await ben_answers(pilot, ana, "It was a long day.")
        note = room.query_one(PaceNote)
        assert note.remind_after == 10
        asked = next(o for o in room.room_log if o.kind is EventKind.ASK).event.at
        assert note.started_at == asked
        assert not note.display
        now = [asked / 1000 + 3 * 60 + 5]
        note.clock = lambda: now[0]
        note.every = seconds(0.05)
        # A new turn start restarts the ticking at the new pace.
        note.follow(None, room.room.phase)
        room.show_room()
        await until(pilot, lambda: str(note.render()) == "sharing for 3 min")
        assert note.display
        status = room.query_one(StatusLine)
        assert status.sentence != REMINDER
        # Its home is the status line's row, never the line where Ben's typing shows.
        await ben.send(t="typing", on=True)
        await until(pilot, lambda: room.query_one(TypingIndicator).writer is not None)
        await pilot.pause()
        assert note.region.y == status.region.y
        assert note.region.y != room.query_one(TypingIndicator).region.y

        now[0] = asked / 1000 + 10 * 60 + 1
        await until(pilot, lambda: status.sentence == REMINDER)
        status.say("Connected.")
        now[0] = asked / 1000 + 12 * 60
        await until(pilot, lambda: str(note.render()) == "sharing for 12 min")
        assert status.sentence == "Connected."

        # Reflecting is the same turn; once Ben feels heard the note rests until the next question.
        await ben.send(t="done")
        await until(pilot, lambda: room.room.phase is Phase.REFLECTING)
        await until(pilot, lambda: str(note.render()) == "12 min into this turn")
        await pilot.press(*"A long day", "ctrl+s")
        await ben.until_kind(EventKind.REFLECT)
        await ben.send(t="confirm")
        await until(pilot, lambda: room.room.round == 2)
        assert note.started_at is None
        assert not note.display
        await ben.close()


async def test_the_reminder_fits_beside_the_minutes_at_80_columns(server_url: str) -> None:
    """At 80x24 the reminder and the minutes share one row, so the composer does not move when
    the chosen time comes; once the turn moves on, the reminder is gone."""
    settings = Settings(pace_minutes=10)
    ana = FiresideApp(Entry(server_url, "Ana"), enter_now=True, settings=settings)
    async with ana.run_test(size=(80, 24)) as pilot:
        room, ben = await ben_answers(pilot, ana, "It was a long day.")
        note = room.query_one(PaceNote)
        status = room.query_one(StatusLine)
        composer = room.query_one(Composer)
        asked = next(o for o in room.room_log if o.kind is EventKind.ASK).event.at
        now = [asked / 1000 + 9 * 60]
        note.clock = lambda: now[0]
        note.tick()
        await until(pilot, lambda: note.region.height == 1)
        before = composer.region
        now[0] = asked / 1000 + 999 * 60
        note.tick()
        await until(pilot, lambda: status.sentence == REMINDER)
        await pilot.pause()
        assert str(note.render()) == "sharing for 999 min"
        assert status.region.height == 1
        assert composer.region == before

        await ben.send(t="done")
        await until(pilot, lambda: room.room.phase is Phase.REFLECTING)
        assert status.sentence == "Paired."
        await ben.close()
