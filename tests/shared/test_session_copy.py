"""Session.copy: what the server goes back to when a write is lost."""

import dataclasses

from shared.letters import Letter, Thread
from shared.seats import Mode, Phase, Seat
from shared.session import Session


def test_a_copy_is_equal_and_shares_nothing_that_changes() -> None:
    """`copy` keeps every field (the server goes back to it when a write is lost), and a change
    to the copy's names or presence leaves the original as it was."""
    session = Session(
        phase=Phase.SHARING,
        round=3,
        asker=Seat.B,
        names={Seat.A: b"a", Seat.B: b"b"},
        online={Seat.A: True, Seat.B: False},
        paked=frozenset(Seat),
        verified=frozenset({Seat.A}),
        said_since_sharing=True,
        said_since_ask=True,
        noted=frozenset({Seat.B}),
        mode=Mode.LETTERS,
        letter=Letter((Seat.B,), {Seat.B: b"sealed"}, {Seat.A: Thread.ADD}),
    )
    assert {field.name for field in dataclasses.fields(Session)} == {
        "phase",
        "round",
        "asker",
        "names",
        "online",
        "paked",
        "verified",
        "said_since_sharing",
        "said_since_ask",
        "noted",
        "mode",
        "letter",
    }, "a new field must be copied too: see Session.copy"
    copied = session.copy()
    assert copied == session
    copied.names[Seat.A] = None
    copied.online[Seat.B] = True
    assert session.names[Seat.A] == b"a"
    assert session.online[Seat.B] is False
    copied.letter.withheld.clear()
    copied.letter.threads[Seat.A] = Thread.HEARD
    assert session.letter.withheld == {Seat.B: b"sealed"}
    assert session.letter.threads == {Seat.A: Thread.ADD}
