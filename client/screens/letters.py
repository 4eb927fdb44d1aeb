"""The letters room: every letter so far, the open one's state, and only the moves it allows.

What the person may do comes from `Session.may` and `Letter.waiting_on` (shared/letters.py):
the screen asks, never decides. There are no typing notices in letters.
"""

from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Static
from textual.worker import Worker, WorkerState

from client.connection import RoomLink
from client.entry import Entry
from client.journal import Journal
from client.letters_hook import notify
from client.letters_story import Standing, follow, status_line, when, zone_of
from client.messages import (
    CouldNotEnter,
    LinkClosed,
    LinkDown,
    Paired,
    PairingNews,
    Refused,
    RoomEventsArrived,
    Seated,
)
from client.reflection import STEPS
from client.saved_seats import SeatKeeper, SeatShelf
from client.screens.composing import ComposingScreen
from client.screens.end_letters_dialog import EndLettersDialog
from client.seat.opened import Opened
from client.settings import Settings
from client.widgets.composer import Composer
from client.widgets.deck_panel import DeckPanel
from client.widgets.invite_card import InviteCard
from client.widgets.letter_pages import LetterPages
from client.widgets.reflection_starters import ReflectionStarters
from client.widgets.status_line import StatusLine
from shared import fields
from shared.errors import ErrorCode
from shared.events import EventKind
from shared.messages import ClientMessage, Confirm, MessageType, More
from shared.seats import Phase, Seat
from shared.session import Session

_WRITTEN: dict[MessageType, tuple[int, str]] = {
    MessageType.ANSWER: (fields.SAY_MAX, "Your answer"),
    MessageType.PROPOSE: (fields.ASK_MAX, "Your question"),
    MessageType.SAY: (fields.SAY_MAX, "What you add"),
    MessageType.REFLECT: (fields.REFLECT_MAX, "Your reflection"),
}
"""What the composer's words may become, in the order it offers them: after "there's more" the
addition comes before the reflection still owed, since the writer chose to go on."""
_PLACEHOLDERS = {
    MessageType.ANSWER: "Write your answer; it stays sealed until both have answered (ctrl+s)",
    MessageType.PROPOSE: "Write your own question, or pick a card above (ctrl+s proposes)",
    MessageType.SAY: "Add what more there is to your answer (ctrl+s sends)",
    MessageType.REFLECT: f"{STEPS[0].starters[0]}(ctrl+s sends your reflection)",
}
_CLOSED = "Nothing to write now: the letter is with your partner."
_UNPAIRED = "The letters open once your partner has joined with the invite."
_YOUR_WORD = "F5 if you felt heard, F6 if there's more to add."
_OVER = "These letters have ended."
_MOVES: dict[MessageType, ClientMessage] = {
    MessageType.CONFIRM: Confirm(),
    MessageType.MORE: More(),
}
_CARD_ACTIONS = frozenset({"propose_card", "card", "browse"})
_STARTER_ACTIONS = frozenset({"use_starter", "starter"})


class LettersScreen(ComposingScreen[None]):
    """One person's seat in the couple's letters room, kept on disk between visits."""

    CSS_PATH = "letters.tcss"
    AUTO_FOCUS = ""

    BINDINGS: ClassVar[list[BindingType]] = [
        # One key, four meanings: check_action keeps the one the composer is open for.
        Binding("ctrl+s", "send('answer')", "Seal answer"),
        Binding("ctrl+s", "send('propose')", "Propose"),
        Binding("ctrl+s", "send('say')", "Add"),
        Binding("ctrl+s", "send('reflect')", "Send reflection"),
        # The live session's keys for the cards and starters (client/screens/session.py).
        Binding("f8", "propose_card", "Propose card"),
        Binding("ctrl+down,alt+down", "card(1)", "Cards", key_display="^↑↓"),
        Binding("ctrl+up,alt+up", "card(-1)", "Previous card", show=False),
        Binding("ctrl+n", "browse('deck')", "Deck", show=False),
        Binding("ctrl+l", "browse('depth')", "Depth", show=False),
        Binding("ctrl+r", "browse('draw')", "Random", show=False),
        # The guide names F8 itself; at 80 columns the footer needs the room for F5, F6, F9.
        Binding("f8", "use_starter", "Use starter", show=False, priority=True),
        Binding("ctrl+down,alt+down", "starter(1)", "Next starter", show=False, priority=True),
        Binding("ctrl+up,alt+up", "starter(-1)", "Previous starter", show=False, priority=True),
        # F5 and F6 as in the live session: "yes, you heard me" and "there's more".
        Binding("f5", "move('confirm')", "I felt heard"),
        Binding("f6", "move('more')", "There's more"),
        Binding("f9", "end", "End letters"),
        # Priority: the composer has the focus at nearly every move, and would take them for
        # its own cursor; the page is what there is to scroll (seen in tmux).
        Binding("pageup", "scroll_pages(-1)", "Earlier", show=False, priority=True),
        Binding("pagedown", "scroll_pages(1)", "Later", show=False, priority=True),
    ]

    def __init__(self, entry: Entry, settings: Settings, shelf: SeatShelf | None = None) -> None:
        super().__init__()
        self.entry = entry
        self.settings = settings
        self.zone = zone_of(settings.zone)
        self.shelf = shelf
        self.keeper = SeatKeeper(shelf, entry.server, entry.saved) if shelf is not None else None
        """The letters seat on disk (client/saved_seats.py, SeatShelf.letters)."""
        self.link = RoomLink(
            entry.server,
            entry.message(),
            self.post_message,
            name=entry.name,
            words=entry.words,
            saved_key=entry.saved.key if entry.saved is not None else None,
        )
        self.invite: str | None = None
        self.stopped = False
        self.journal: Journal | None = None
        self._writing: MessageType | None = None
        self._drafts: dict[MessageType, str] = {}
        self._proposal: str | None = None
        """The question we proposed and the log has not shown yet: kept if the partner's
        proposal is recorded first (docs/protocol.md, Letters: a second propose is refused)."""
        self._held_answer: str | None = None
        """An answer typed behind our own question, in the same burst: it goes out once the
        question is in the log, so that it never answers a question the partner proposed first."""
        self._seated_before = False
        self._log_read = False
        """The log that came with the seat is taken: later events are news, for the hook."""
        self._sent_question = False
        """A `propose` went out from here and the composer has not moved on to the answer."""

    @property
    def room(self) -> Session:
        return self.link.mirror.room

    @property
    def me(self) -> Seat | None:
        return self.link.mirror.me

    @property
    def partner_name(self) -> str | None:
        me = self.me
        return self.link.mirror.names.get(me.partner) if me is not None else None

    def compose(self) -> ComposeResult:
        yield Static(id="letters-header")
        with Horizontal(id="letters-middle"):
            with Vertical(id="letters-conversation"):
                yield InviteCard(id="invite")
                yield LetterPages(id="pages")
            yield DeckPanel(id="deck")
            yield ReflectionStarters(id="starters")
        yield Static(id="next-move")
        yield Composer(id="composer")
        yield StatusLine(id="status")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one(StatusLine).say(f"Connecting to {self.entry.server}…")
        self.show_room()
        self._keep_link()

    @work(exclusive=True, exit_on_error=False, group="link")
    async def _keep_link(self) -> None:
        await self.link.run()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "link" and event.state is WorkerState.ERROR:
            self.query_one(StatusLine).say(
                f"The connection stopped unexpectedly: {event.worker.error}", trouble=True
            )

    # What the link reports.

    def on_seated(self, message: Seated) -> None:
        code, seat = message.joined.code, message.joined.seat
        self.invite = self.entry.invite_for(code) if seat is Seat.A else None
        if self.invite is not None:
            self.query_one(InviteCard).show(
                self.invite, self.entry.servers_to_share, command="fireside letters join"
            )
        # Opening the window takes the saved seat back too: "again" only after a drop.
        self.query_one(StatusLine).say("Connected again." if self._seated_before else "Connected.")
        self._seated_before = True
        if self.entry.journal and self.journal is None:
            started = Journal.start(
                self.entry.server,
                code,
                seat,
                resumed=self.entry.saved is not None,
                title="Fireside letters",
            )
            if isinstance(started, str):
                self.query_one(StatusLine).say(started, trouble=True)
            else:
                self.journal = started
        if self.keeper is not None:
            self._said(self.keeper.seated(message.joined, self.entry.name))

    def on_paired(self, message: Paired) -> None:
        if self.keeper is not None:
            self._said(self.keeper.paired(message.key.saved()))

    def on_pairing_news(self, message: PairingNews) -> None:
        self.query_one(StatusLine).say(message.sentence)

    async def on_room_events_arrived(self, message: RoomEventsArrived) -> None:
        batch = message.opened
        if self.keeper is not None:
            self._said(self.keeper.saw(batch[-1]))
        if self.journal is not None:
            self._said(self.journal.write(batch))
        me = self.me
        assert me is not None
        if any(o.kind is EventKind.PROPOSE and o.by is me for o in batch):
            self._proposal = None
            held, self._held_answer = self._held_answer, None
            if held is not None and not await self._send_sealed(MessageType.ANSWER, {"text": held}):
                self._drafts[MessageType.ANSWER] = held
        standing = self.show_room()
        news = self._log_read and any(opened.by is not me for opened in batch)
        self._log_read = True
        if news and standing.move_since is not None and self.keeper is not None:
            notify(
                self.keeper.shelf.directory,
                self.link.mirror.ticket.code if self.link.mirror.ticket else "",
                standing.move_since.seq,
                status_line(standing, self.partner_name),
                command=self.settings.notify,
                remind=self.settings.remind,
                now=datetime.now(self.zone),
            )

    def on_refused(self, message: Refused) -> None:
        if (
            message.error.code is ErrorCode.WRONG_PHASE
            and self._proposal is not None
            and self.room.phase is not Phase.PROPOSING
        ):
            # Both proposed at once and the partner's came first: their question is open,
            # and what this person wrote is kept for the next letter.
            self._drafts[MessageType.PROPOSE] = self._proposal
            self._proposal = None
            partner = self.partner_name or "Your partner"
            sentence = f"{partner} proposed a question first; yours is kept for the next letter."
            held, self._held_answer = self._held_answer, None
            if held is not None:
                # It answered our question, not theirs: back in the box, for the person to judge.
                self._drafts[MessageType.ANSWER] = held
                self.show_room()
                sentence = f"{partner} proposed first; your question is kept, your answer unsent."
            self.query_one(StatusLine).say(sentence, trouble=True)
            return
        self.query_one(StatusLine).say(f"Not sent: {message.error.message}.", trouble=True)

    def on_link_down(self, message: LinkDown) -> None:
        sentence = message.sentence
        if message.retry_in >= 1:
            sentence = f"{sentence} (next try in {message.retry_in:.0f} s)"
        self.query_one(StatusLine).say(sentence, trouble=True)

    def on_link_closed(self, message: LinkClosed) -> None:
        self.stopped = True
        if message.seat_gone and self.keeper is not None:
            self.keeper.forget()
        self.query_one(StatusLine).say(message.sentence, trouble=True)
        self.show_room()

    def on_could_not_enter(self, message: CouldNotEnter) -> None:
        self.stopped = True
        if message.seat_gone and self.keeper is not None:
            self.keeper.forget()
        if self.entry.saved is None and self.shelf is not None:
            # A first visit that did not get in (no server there, a wrong invite): back to
            # the choice, with the reason, to try again.
            from client.screens.letters_start import LettersStartScreen

            problem = LettersStartScreen(self.settings, self.shelf, message.sentence)
            self.app.switch_screen(problem)
            return
        self.query_one(StatusLine).say(message.sentence, trouble=True)
        self.show_room()

    def _said(self, problem: str | None) -> None:
        if problem is not None:
            self.query_one(StatusLine).say(problem, trouble=True)

    # What the person does.

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in _CARD_ACTIONS:
            return self.query_one(DeckPanel).display
        if action in _STARTER_ACTIONS:
            return self.query_one(ReflectionStarters).display
        if action == "end":
            return self.me is not None and not self.stopped and self.room.phase is not Phase.ENDED
        if action == "send" and parameters:
            return self._writing is MessageType(str(parameters[0])) is self._next_writing()
        if action == "move" and parameters:
            return self._may(MessageType(str(parameters[0])))
        return True

    async def action_send(self, kind_name: str) -> None:
        kind = MessageType(kind_name)
        limit, what = _WRITTEN[kind]
        composer = self.query_one(Composer)
        words = composer.outgoing()
        text = words.strip()
        problem = fields.text_problem(text, limit)
        if problem is not None:
            self.query_one(StatusLine).say(f"{what} {problem}.", trouble=True)
            return
        if kind is MessageType.ANSWER and not self._may(kind):
            # Behind our own question, still on its way: on_room_events_arrived sends it.
            self._held_answer = text
            composer.take_sent(words)
            return
        if await self._send_sealed(kind, {"text": text}):
            if kind is MessageType.PROPOSE:
                self._proposal = text
            composer.take_sent(words)

    async def action_move(self, kind_name: str) -> None:
        if not await self.link.send(_MOVES[MessageType(kind_name)]):
            self._not_sent()

    def action_end(self) -> None:
        if not isinstance(self.app.screen, EndLettersDialog):
            self.app.push_screen(EndLettersDialog(self.partner_name), callback=self._end_answered)

    async def _end_answered(self, end: bool | None) -> None:
        if not end:
            return
        if self.keeper is not None:
            self._said(self.keeper.leaving(None))
        await self.link.leave()
        self.query_one(StatusLine).say("Ending the letters…")

    def action_scroll_pages(self, pages: int) -> None:
        view = self.query_one(LetterPages)
        if pages < 0:
            view.scroll_page_up()
        else:
            view.scroll_page_down()

    def action_propose_card(self) -> None:
        self.query_one(DeckPanel).ask_highlighted()

    @on(DeckPanel.CardChosen)
    async def propose_card(self, message: DeckPanel.CardChosen) -> None:
        card = message.card
        if self._may(MessageType.PROPOSE) and await self._send_sealed(
            MessageType.PROPOSE, {"text": card.text, "card": card.id}
        ):
            self._proposal = None  # a card is a key away again: nothing typed to keep

    @on(DeckPanel.SameQuestionChosen)
    async def propose_same(self, message: DeckPanel.SameQuestionChosen) -> None:
        words = {"text": message.text}
        if message.card is not None:
            words["card"] = message.card
        if self._may(MessageType.PROPOSE):
            await self._send_sealed(MessageType.PROPOSE, words)

    @on(DeckPanel.OwnWordsChosen)
    def write_own(self) -> None:
        self.query_one(Composer).focus()
        self.query_one(StatusLine).say(
            "Write your question in the box below; ctrl+s proposes it.", for_turn=True
        )

    async def _send_sealed(self, kind: MessageType, words: dict[str, str]) -> bool:
        if not await self.link.send_sealed(kind, words):
            self._not_sent()
            return False
        if kind is MessageType.PROPOSE:
            self._sent_question = True
            self.show_room()
        return True

    def _not_sent(self) -> None:
        self.query_one(StatusLine).say(
            "Not connected right now; nothing was sent, and your words are kept.", trouble=True
        )

    def _may(self, kind: MessageType) -> bool:
        return self.me is not None and not self.stopped and self.room.may(self.me, kind)

    def _next_writing(self) -> MessageType | None:
        """What the composer's words become next, once our messages on their way are in: a
        question and its answer typed in one burst go out as a `propose` and an `answer`, the
        way the server will take them (Session.may_after)."""
        me = self.me
        if me is None or self.stopped:
            return None
        coming = self.link.mirror.on_its_way
        if self._held_answer is not None:
            coming += (MessageType.ANSWER,)
        return next((kind for kind in _WRITTEN if self.room.may_after(me, coming, kind)), None)

    # Showing the room.

    def show_room(self) -> Standing:
        """Bring every part of the screen in line with the room; the standing it shows."""
        me = self.me if self.me is not None else Seat.A
        log = self.link.mirror.log
        standing = follow((opened.event for opened in log), me)
        now = datetime.now(self.zone)
        self.query_one("#letters-header", Static).update(self._header(standing, log, now))
        if self.me is not None:
            self.query_one(LetterPages).show(log, me, self.link.mirror.names, self.zone, now)
        self.query_one(InviteCard).display = (
            self.room.phase is Phase.WAITING and self.invite is not None and not self.stopped
        )
        may = self._may
        deck = self.query_one(DeckPanel)
        deck_was_shown = deck.display
        deck.display = may(MessageType.PROPOSE)
        if deck.display and not deck_was_shown:
            deck.offer(self.room.round, log, me)
        kind = self._next_writing()
        self.query_one(ReflectionStarters).display = kind is MessageType.REFLECT
        paired = self.me is not None and self.room.phase is not Phase.WAITING
        next_move = status_line(standing, self.partner_name) if paired else ""
        self.query_one("#next-move", Static).update(Text(next_move, style="bold"))
        self._open_composer(kind)
        self.refresh_bindings()
        return standing

    def _header(self, standing: Standing, log: list[Opened], now: datetime) -> Text:
        partner = self.partner_name or "your partner"
        count = standing.conversations
        parts = [f"Letters with {partner}", f"{count} conversation{'s' if count != 1 else ''}"]
        if standing.move_since is not None:
            parts.append(f"your move since {when(standing.move_since.at, now, self.zone)}")
        elif self.room.phase is Phase.ENDED:
            parts.append("ended")
        elif log and self.room.phase is not Phase.WAITING:
            parts.append(f"waiting for {partner}")
        return Text(" · ".join(parts))

    def _open_composer(self, kind: MessageType | None) -> None:
        composer = self.query_one(Composer)
        was_open = not composer.disabled
        composer.disabled = kind is None
        over = self.stopped or self.room.phase is Phase.ENDED
        closed = _OVER if over else _UNPAIRED if self.room.phase is Phase.WAITING else _CLOSED
        if not over and self._may(MessageType.CONFIRM):
            closed = _YOUR_WORD
        composer.placeholder = _PLACEHOLDERS[kind] if kind is not None else closed
        if kind is self._writing:
            return
        if (
            self._writing is MessageType.PROPOSE
            and kind is MessageType.ANSWER
            and self._sent_question
        ):
            # Our own question went out: what was typed behind it is the start of the answer.
            # After the partner's question it is a question of ours, kept below for later.
            self._sent_question = False
            self._writing = kind
            return
        # Unsent words are kept for their own kind of writing: a half-written question never
        # becomes the answer, and a question that lost a race comes back for the next letter.
        if self._writing is not None and composer.text.strip():
            self._drafts[self._writing] = composer.text
        composer.take_text()
        self._writing = kind
        if kind is None:
            return
        draft = self._drafts.pop(kind, None)
        if draft is not None:
            composer.insert(draft)
        if not was_open:
            self.set_focus(composer)
