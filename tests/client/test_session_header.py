"""The header keeps to one line at any width: a long name gives way, the room, round and
floor stay readable."""

import pytest
from rich.cells import cell_len

from client.app import FiresideApp
from client.entry import Entry
from client.outlook import Outlook
from client.widgets.session_header import SessionHeader, describe
from shared.events import RoomState
from shared.fields import NAME_MAX
from shared.seats import Phase, Seat
from tests.client.drive import paired_partner, session_of, until
from tests.hostile.screen import shown

LONGEST = "Bartholomew Featherstonehaugh-Ng"
assert len(LONGEST) == NAME_MAX
CODE = "K7M2Q-X9P4R"
INSIDE_80 = 78
"""What the header has to write in at 80 columns: its padding takes one on each side."""


def outlook(name: str, *, asker: Seat, phase: Phase = Phase.SHARING) -> Outlook:
    """Ana (seat A) in round 3 with `name`, both here; `asker` decides who has the floor."""
    state = RoomState(
        phase=phase,
        round=3,
        asker=asker,
        names=dict.fromkeys(Seat, b"box"),
        online=dict.fromkeys(Seat, True),
    )
    return Outlook(state, Seat.A, CODE, {Seat.A: "Ana", Seat.B: name})


@pytest.mark.parametrize(
    ("asker", "floor"), [(Seat.B, "you have the floor"), (Seat.A, "they have the floor")]
)
def test_the_longest_name_ends_in_an_ellipsis_and_the_rest_stays(asker: Seat, floor: str) -> None:
    """At 80 columns a 32-character name is shortened with "…"; room, round and floor remain."""
    words = describe(outlook(LONGEST, asker=asker), INSIDE_80)
    plain = words.plain
    assert cell_len(plain) <= INSIDE_80
    assert f"room {CODE}" in plain
    assert f" · with {LONGEST[:8]}" in plain
    assert "… (here) · round 3 · " in plain
    assert plain.endswith(floor)


def test_a_short_name_is_whole_and_fireside_named() -> None:
    """Sam fits: the header is the whole sentence, the name said twice, nothing shortened."""
    plain = describe(outlook("Sam", asker=Seat.A), INSIDE_80).plain
    assert plain == f"Fireside · room {CODE} · with Sam (here) · round 3 · Sam has the floor"


def test_fireside_goes_before_any_letter_of_the_name() -> None:
    """At 100 columns the longest name is kept whole: only the app's own name gave way."""
    plain = describe(outlook(LONGEST, asker=Seat.B), 98).plain
    assert plain == f"room {CODE} · with {LONGEST} (here) · round 3 · you have the floor"


def test_narrower_than_any_name_the_line_still_ends_in_an_ellipsis() -> None:
    """At 30 columns nothing spills onto a second line: the end is cut with "…"."""
    plain = describe(outlook(LONGEST, asker=Seat.B), 30).plain
    assert cell_len(plain) == 30
    assert plain.endswith("…")


async def test_the_header_on_screen_fits_80_columns_with_the_longest_name(
    server_url: str,
) -> None:
    """The real header at 80x24, paired with a partner of the longest name, asking then
    listening: one line, the name shortened with "…", the floor's words at its end."""
    ana = FiresideApp(Entry(server_url, "Ana"), enter_now=True)
    async with ana.run_test(size=(80, 24)) as pilot:
        await paired_partner(pilot, ana, LONGEST)
        room = session_of(ana)
        header = room.query_one(SessionHeader)
        await pilot.pause()
        line = shown(header).rstrip()
        assert len(shown(header)) == 80
        assert "… (here) · round 1 · you have the floor" in line
        await pilot.press("f8")
        await until(pilot, lambda: room.room.phase is Phase.SHARING)
        await pilot.pause()
        assert shown(header).rstrip().endswith("… (here) · round 1 · they have the floor")
