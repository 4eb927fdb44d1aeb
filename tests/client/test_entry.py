"""Entering a room that cannot be entered says why in one sentence, and the CLI stays calm."""

import socket

import pytest
from textual.widgets import Input

from client.app import FiresideApp
from client.cli import main
from client.entry import Entry
from client.screens.welcome import WelcomeScreen
from shared.crypto.invite import InviteError, parse_invite
from tests.client.drive import WireMember, until

SIZE = (100, 30)


def problem_of(app: FiresideApp) -> str:
    """The sentence under the welcome form."""
    assert isinstance(app.screen, WelcomeScreen)
    return app.screen.problem


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_an_unreachable_server_is_one_sentence() -> None:
    """With nobody listening, the welcome screen says the server could not be reached."""
    url = f"ws://127.0.0.1:{free_port()}"
    app = FiresideApp(Entry(url, "Ana"), enter_now=True)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, WelcomeScreen) and app.screen.problem)
        assert problem_of(app) == (
            f"Could not reach the server at {url}. Is it running, and is the address right?"
        )


async def test_a_wrong_code_is_one_sentence(server_url: str) -> None:
    """Joining a nameplate no room has says so and leaves the form ready to try again."""
    entry = Entry.joining(server_url, "Ben", "NSCHR-00M99-orbit-velvet-canyon")
    app = FiresideApp(entry, enter_now=True)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, WelcomeScreen) and app.screen.problem)
        assert problem_of(app) == "No room has that code. Check it with your partner and try again."
        code = app.screen.query_one("#code", Input)
        assert code.value == "NSCHR-00M99-orbit-velvet-canyon"


async def test_an_unreadable_invite_is_one_sentence_and_sends_nothing() -> None:
    """An invite that cannot be read is explained on the form; no connection is even tried."""
    app = FiresideApp(Entry(f"ws://127.0.0.1:{free_port()}", "Ben"))
    async with app.run_test(size=SIZE) as pilot:
        for typed in ("K7M2Q-X9P4R", "K7M2Q-X9P4R-orbit-velvet-qqqq", "K7M2Q-orbit"):
            code = app.screen.query_one("#code", Input)
            code.value = typed
            code.focus()
            await pilot.press("enter")
            with pytest.raises(InviteError) as why:
                parse_invite(typed)
            assert problem_of(app) == str(why.value)
            assert isinstance(app.screen, WelcomeScreen)
            assert len(app.screen_stack) == 2


def test_an_unreadable_invite_on_the_command_line_is_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`fireside join` with an invite missing its words says why and starts nothing."""
    assert main(["join", "K7M2Q-X9P4R", "--server", "ws://127.0.0.1:9", "--name", "Ben"]) == 2
    err = capsys.readouterr().err
    with pytest.raises(InviteError) as why:
        parse_invite("K7M2Q-X9P4R")
    assert err == f"fireside: {why.value}\n"


async def test_a_full_room_is_one_sentence(server_url: str) -> None:
    """A third person joining a room of two is told it is full."""
    ana, ben = await WireMember.open(server_url), await WireMember.open(server_url)
    await ana.send(t="create")
    code = (await ana.receive_until("joined"))["code"]
    await ben.send(t="join", code=code)
    await ben.receive_until("joined")
    app = FiresideApp(
        Entry.joining(server_url, "Cleo", f"{code}-orbit-velvet-canyon"), enter_now=True
    )
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, WelcomeScreen) and app.screen.problem)
        assert problem_of(app) == "That room already has two people in it."
    await ana.close()
    await ben.close()


async def test_the_welcome_form_checks_before_connecting() -> None:
    """Joining without a code, or with a bad server address, is refused on the spot."""
    app = FiresideApp(Entry("ws://127.0.0.1:9", "Ana"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.click("#join")
        assert problem_of(app) == "Type the invite your partner gave you, then join."
        app.screen.query_one("#server").value = "localhost:8765"  # type: ignore[attr-defined]
        await pilot.click("#create")
        assert problem_of(app).startswith("The server address starts with ws://")


def test_hosting_on_a_busy_port_is_one_line_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    """`fireside host` on a port already taken prints one sentence and no traceback."""
    with socket.socket() as busy:
        busy.bind(("0.0.0.0", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["host", "--port", str(port), "--name", "Ana"]) == 1
    err = capsys.readouterr().err
    assert (
        err == f"fireside: port {port} on 0.0.0.0 is already in use; choose another with --port.\n"
    )


def test_a_name_that_breaks_the_rules_is_one_line_on_stderr(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A name longer than the contract allows is refused before the UI starts."""
    assert (
        main(
            [
                "join",
                "ABCDE-FGHJK-orbit-velvet-canyon",
                "--server",
                "ws://127.0.0.1:9",
                "--name",
                "x" * 40,
            ]
        )
        == 2
    )
    assert capsys.readouterr().err == "fireside: your name must be at most 32 characters.\n"
