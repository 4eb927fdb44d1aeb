"""The room itself: transcript, whose turn it is, and only the controls the phase allows."""

from typing import ClassVar

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer
from textual.worker import Worker, WorkerState

from client.connection import RoomLink
from client.decks import Card
from client.entry import Entry
from client.folding import nod_words
from client.journal import Journal
from client.leaving import summary_line
from client.messages import (
    CouldNotEnter,
    LinkClosed,
    LinkDown,
    Paired,
    PairingNews,
    PartnerTyping,
    Refused,
    RoomEventsArrived,
    Seated,
)
from client.outlook import Outlook
from client.pacing import turn_started_at
from client.reflection import STEPS, heard_this_turn
from client.saved_seats import UNSEALED, SeatKeeper, SeatShelf
from client.screens.composing import ComposingScreen
from client.screens.phrase_dialog import PhraseDialog
from client.screens.quit_dialog import QuitDialog
from client.screens.summary import Summary, SummaryScreen, partner_joined
from client.seat.opened import Opened
from client.turn_bell import TurnBell
from client.widgets.composer import Composer
from client.widgets.deck_panel import DeckPanel
from client.widgets.follow_ups import FollowUps
from client.widgets.heard_beside import HeardBeside
from client.widgets.invite_card import InviteCard
from client.widgets.listening_banner import ListeningBanner
from client.widgets.nod_echo import NodEcho
from client.widgets.pace_note import PaceNote
from client.widgets.reflection_starters import ReflectionStarters
from client.widgets.session_header import SessionHeader
from client.widgets.status_line import StatusLine
from client.widgets.transcript import Transcript
from client.widgets.turn_prompt import TurnPrompt
from client.widgets.typing_indicator import TypingIndicator
from shared import fields
from shared.events import EventKind
from shared.messages import (
    ClientMessage,
    Confirm,
    Decline,
    Done,
    Handover,
    MessageType,
    More,
    Nod,
    Typing,
)
from shared.seats import NodKind, Phase, Seat
from shared.session import Session

# What the composer's words become in each phase, and how long they may be
# (docs/protocol.md, Field rules): checked here, then sealed. Whether they may be
# sent at all is Session.may's call.
_WRITTEN: dict[MessageType, tuple[int, str]] = {
    MessageType.ASK: (fields.ASK_MAX, "Your question"),
    MessageType.SAY: (fields.SAY_MAX, "Your answer"),
    MessageType.REFLECT: (fields.REFLECT_MAX, "Your reflection"),
}
_PLACEHOLDERS = {
    MessageType.ASK: "Write your own question… (ctrl+s asks it)",
    MessageType.SAY: "Share whatever comes… (ctrl+s sends, F3 when you are done)",
    MessageType.REFLECT: f"{STEPS[0].starters[0]}(ctrl+s sends)",
}
_CLOSED = "The composer opens when it is your turn to write."
_OVER = "Nothing more can be sent in this session."
_NOD_KEYS = ("1", "2", "3")
_CARD_ACTIONS = frozenset({"ask_card", "card", "browse"})
"""The asker's keys for the cards: live only while the cards are shown."""
_STARTER_ACTIONS = frozenset({"use_starter", "starter"})
"""The asker's keys for the reflection starters: live only while the starters are shown."""
_MOVES: dict[MessageType, ClientMessage] = {
    MessageType.HANDOVER: Handover(),
    MessageType.DONE: Done(),
    MessageType.DECLINE: Decline(),
    MessageType.CONFIRM: Confirm(),
    MessageType.MORE: More(),
}


class SessionScreen(ComposingScreen[str | None]):
    """One person's seat in the room; dismissed with a sentence if the room cannot be entered."""

    CSS_PATH = "session.tcss"
    # Nothing takes the focus at mount: the composer takes it when a turn to write begins
    # (_open_composer), and until then keys go to the screen, which scrolls and nods. A list
    # focused at mount would keep the focus hidden and take page up for its own.
    AUTO_FOCUS = ""

    BINDINGS: ClassVar[list[BindingType]] = [
        # One key, three meanings: check_action keeps only the one the phase allows.
        Binding("ctrl+s", "send('ask')", "Ask"),
        Binding("ctrl+s", "send('say')", "Send"),
        Binding("ctrl+s", "send('reflect')", "Send reflection"),
        # The cards, with keys that are never letters: the composer keeps the focus while
        # the asker browses, so a question typed in one burst is all written (issue 10).
        # Deck, depth and random are named in the panel itself: the footer has no room.
        Binding("f8", "ask_card", "Ask card"),
        Binding("ctrl+down,alt+down", "card(1)", "Cards", key_display="^↑↓"),
        Binding("ctrl+up,alt+up", "card(-1)", "Previous card", show=False),
        Binding("ctrl+n", "browse('deck')", "Deck", show=False),
        Binding("ctrl+l", "browse('depth')", "Depth", show=False),
        Binding("ctrl+r", "browse('draw')", "Random", show=False),
        # The reflection starters take the same keys at the reflecting turn, when no card shows.
        # Priority: the app runs them as keys arrive, before it hands letters to the composer,
        # so F8 in a burst of keys takes its place among them (action_use_starter).
        Binding("f8", "use_starter", "Use starter", priority=True),
        Binding("ctrl+down,alt+down", "starter(1)", "Next starter", show=False, priority=True),
        Binding("ctrl+up,alt+up", "starter(-1)", "Previous starter", show=False, priority=True),
        Binding("f2", "move('handover')", "Hand over"),
        Binding("f3", "move('done')", "Done"),
        Binding("f4", "move('decline')", "Pass"),
        Binding("f5", "move('confirm')", "Yes, you heard me"),
        Binding("f6", "move('more')", "There's more"),
        Binding("1", "nod('heart')", "♥"),
        Binding("2", "nod('hear')", "I hear you"),
        Binding("3", "nod('time')", "Take your time"),
        Binding("f7", "phrase", "Phrase"),
        Binding("pageup", "scroll_transcript(-1)", "Earlier", show=False),
        Binding("pagedown", "scroll_transcript(1)", "Later", show=False),
    ]

    def __init__(self, entry: Entry, shelf: SeatShelf | None = None) -> None:
        super().__init__()
        self.entry = entry
        self.keeper = SeatKeeper(shelf, entry.server, entry.saved) if shelf is not None else None
        """Keeps the seat on disk for `fireside resume`; None when nothing is kept."""
        self.code = ""
        """The room's code as the header and the invite show it."""
        self.invite: str | None = None
        """The invite to pass on while waiting; only the window that made the room has one."""
        self.link = RoomLink(
            entry.server,
            entry.message(),
            self.post_message,
            name=entry.name,
            words=entry.words,
            saved_key=entry.saved.key if entry.saved is not None else None,
        )
        self._typing_sent = False
        self._writing: MessageType | None = None
        """What the open composer's words would become, or None while it is closed."""
        self._drafts: dict[MessageType, str] = {}
        """Words written but not sent when the composer closed, kept for that kind of turn."""
        self.stopped = False
        """The link has stopped for good: nothing can be sent from this window any more."""
        self._summary: SummaryScreen | None = None
        """The session's end, once it has ended for this seat (client/screens/summary.py)."""
        self._my_note: str | None = None
        """The closing note this seat sent, shown before its event comes back."""
        self._leaving = False
        """The person chose to leave: the summary says whether the server has heard it yet."""
        self._stopped_because: str | None = None
        """Why the link stopped for good, once it has."""
        self.journal: Journal | None = None
        """The session written down on this machine (client/journal.py), unless turned off."""
        self.turn_bell = TurnBell()
        self._turn_shown: tuple[int, Phase] | None = None
        """The round and phase show_room last showed: a change is the turn moving on."""

    # The room is the link's mirror (client/seat/mirror.py): read, never copied.

    @property
    def room(self) -> Session:
        return self.link.mirror.room

    @property
    def room_log(self) -> list[Opened]:
        """Every event seen, once each, in `seq` order, opened: what the transcript shows."""
        return self.link.mirror.log

    @property
    def names(self) -> dict[Seat, str | None]:
        return self.link.mirror.names

    @property
    def me(self) -> Seat | None:
        return self.link.mirror.me

    def compose(self) -> ComposeResult:
        yield SessionHeader(id="header")
        with Horizontal(id="middle"):
            with Vertical(id="conversation"):
                yield InviteCard(id="invite")
                yield Transcript(id="transcript")
                yield FollowUps(id="follow-ups")
                yield HeardBeside(id="heard")
            yield DeckPanel(id="deck")
            yield ReflectionStarters(id="starters")
        yield ListeningBanner(id="listening")
        yield TurnPrompt(id="prompt")
        with Horizontal(id="whispers"):
            yield TypingIndicator(id="typing")
            yield NodEcho(id="nod-echo")
        yield Composer(id="composer")
        # The minutes live beside the connection's state, not on the line above the box: that
        # one is for the partner's typing and nods, and the header has no room at 80 columns.
        with Horizontal(id="foot"):
            yield StatusLine(id="status")
            yield PaceNote(id="pace")
        # No "^p palette" at the right: at 80 columns it covered the asker's last keys, F1
        # among them. ctrl+p still opens it, and F1's guide says so.
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        saved = self.entry.saved
        if saved is not None and not saved.resumable:
            # A fireside.1 seat: its room cannot be read without a key, so there is no going back.
            if self.keeper is not None:
                self.keeper.forget()
            self.dismiss(UNSEALED.format(code=saved.code))
            return
        self.query_one(StatusLine).say(f"Connecting to {self.entry.server}…")
        self.show_room()
        self._keep_link()

    @work(exclusive=True, exit_on_error=False, group="link")
    async def _keep_link(self) -> None:
        await self.link.run()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # exit_on_error is off so a surprise in the network code cannot take the app down.
        if event.worker.group == "link" and event.state is WorkerState.ERROR:
            self.query_one(StatusLine).say(
                f"The connection stopped unexpectedly: {event.worker.error}", trouble=True
            )

    # What the link reports.

    def on_seated(self, message: Seated) -> None:
        if message.joined.resync:
            # The log is not the one shown (docs/protocol.md, Drops, resume and leave): its
            # whole, which follows, is shown in place of it, each line once.
            self.query_one(Transcript).restart()
        self.code = message.joined.code
        seat = message.joined.seat
        self.invite = self.entry.invite_for(self.code) if seat is Seat.A else None
        self.show_invite()
        sentence = "Connected again." if message.resumed else "Connected."
        self.query_one(StatusLine).say(sentence)
        if self._summary is not None:
            self._sum_up()  # back, and the leave is on its way again
        if self.entry.journal and self.journal is None:
            started = Journal.start(
                self.entry.server, self.code, seat, resumed=self.entry.saved is not None
            )
            if isinstance(started, str):
                self.query_one(StatusLine).say(started, trouble=True)
            else:
                self.journal = started
        if self.keeper is not None:
            problem = self.keeper.seated(message.joined, self.entry.name)
            if problem is not None:
                self.query_one(StatusLine).say(problem, trouble=True)

    def on_paired(self, message: Paired) -> None:
        if self.keeper is not None:
            problem = self.keeper.paired(message.key.saved())
            if problem is not None:
                self.query_one(StatusLine).say(problem, trouble=True)
        self.refresh_bindings()

    def on_pairing_news(self, message: PairingNews) -> None:
        self.query_one(StatusLine).say(message.sentence)

    def on_room_events_arrived(self, message: RoomEventsArrived) -> None:
        """Take in one reply's events: a live one, or a whole log, with one look at the room."""
        batch = message.opened
        newest = batch[-1]
        assert self.me is not None
        self._keep_seat(newest)
        trouble = self.journal.write(batch) if self.journal is not None else None
        if trouble is not None:
            self.query_one(StatusLine).say(trouble, trouble=True)
        self.query_one(Transcript).add(batch, self.me)
        if any(opened.by is not self.me and opened.kind is not EventKind.NOD for opened in batch):
            self.query_one(TypingIndicator).writer = None
        outlook = self._outlook()
        if newest.by is not self.me and newest.kind is EventKind.NOD and outlook is not None:
            self.query_one(NodEcho).show(nod_words(newest), outlook.partner_name)
        self.show_room()
        if self._summary is not None or any(opened.kind is EventKind.LEFT for opened in batch):
            self._sum_up()

    def on_partner_typing(self, message: PartnerTyping) -> None:
        outlook = self._outlook()
        writing = message.on and outlook is not None and outlook.listening
        self.query_one(TypingIndicator).writer = (
            outlook.partner_name if outlook and writing else None
        )

    def on_refused(self, message: Refused) -> None:
        self.query_one(StatusLine).say(f"Not sent: {message.error.message}.", trouble=True)

    def on_link_down(self, message: LinkDown) -> None:
        self.query_one(TypingIndicator).writer = None
        sentence = message.sentence
        if message.retry_in >= 1:
            sentence = f"{sentence} (next try in {message.retry_in:.0f} s)"
        self.query_one(StatusLine).say(sentence, trouble=True)
        if self._summary is not None:
            self._sum_up()  # a leave on its way is now waiting for the link

    def on_link_closed(self, message: LinkClosed) -> None:
        self.stopped = True
        self._stopped_because = message.sentence
        if message.seat_gone and self.keeper is not None:
            self.keeper.forget()
        self.query_one(StatusLine).say(message.sentence, trouble=True)
        self.show_room()
        if self._summary is not None:
            self._sum_up()

    def on_could_not_enter(self, message: CouldNotEnter) -> None:
        if message.seat_gone and self.keeper is not None:
            self.keeper.forget()
        self.dismiss(message.sentence)

    def _keep_seat(self, newest: Opened) -> None:
        """Tell the kept seat what a batch of events changed: its end, or the partner's name."""
        if self.keeper is None:
            return
        problem = self.keeper.saw(newest)
        if problem is not None:
            self.query_one(StatusLine).say(problem, trouble=True)

    # What the person does.

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Offer only what Session.may allows: dim what is not yet possible, hide the rest."""
        if action == "phrase":
            return self.link.key is not None
        if action in _CARD_ACTIONS:
            return self.query_one(DeckPanel).display
        if action in _STARTER_ACTIONS:
            return self.query_one(ReflectionStarters).display
        kind = _message_type(action, parameters)
        if kind is None:
            return True
        if self.me is None or self.stopped:
            return False
        if self.room.may(self.me, kind):
            return True
        if kind is MessageType.DONE and self.room.may_after(self.me, self._coming(), kind):
            # Words sent and not yet back, or still in the box (action_move sends them first),
            # are part of the answer: F3 in the same burst as ctrl+s would otherwise find the
            # room still waiting for a say, and be lost. The server takes them in order.
            return True
        # Done and pass belong to sharing even before they are possible: show them dimmed.
        speaking = self.room.may(self.me, MessageType.SAY)
        if kind in (MessageType.DONE, MessageType.DECLINE) and speaking:
            return None
        return False

    def _coming(self) -> list[MessageType]:
        """Our messages the room does not know yet: those on their way, then the composer's."""
        coming = list(self.link.mirror.on_its_way)
        if self._writing is not None and self.query_one(Composer).text.strip():
            coming.append(self._writing)
        return coming

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
        if await self._send_sealed(kind, {"text": text}):
            composer.take_sent(words)

    def action_phrase(self) -> None:
        """The four words to compare over the phone: the same on both sides if nobody is between."""
        key = self.link.key
        if key is not None and not isinstance(self.app.screen, PhraseDialog):
            self.app.push_screen(PhraseDialog(key.phrase()))

    def action_scroll_transcript(self, pages: int) -> None:
        transcript = self.query_one(Transcript)
        if pages < 0:
            transcript.page_up()
        else:
            transcript.scroll_page_down()

    def action_ask_card(self) -> None:
        self.query_one(DeckPanel).ask_highlighted()

    async def action_move(self, kind_name: str) -> None:
        kind = MessageType(kind_name)
        composer = self.query_one(Composer)
        if kind is MessageType.DONE and composer.text.strip():
            # Done with words still in the box: they are part of the answer, send them first.
            await self.action_send(str(MessageType.SAY))
            if composer.text.strip():
                return
        await self._send(_MOVES[kind])

    async def action_nod(self, kind_name: str) -> None:
        await self._send(Nod(kind=NodKind(kind_name)))

    @on(DeckPanel.CardChosen)
    async def ask_card(self, message: DeckPanel.CardChosen) -> None:
        card: Card = message.card
        if self.me is not None and self.room.may(self.me, MessageType.ASK):
            await self._send_sealed(MessageType.ASK, {"text": card.text, "card": card.id})

    @on(DeckPanel.SameQuestionChosen)
    async def ask_same(self, message: DeckPanel.SameQuestionChosen) -> None:
        if self.me is not None and self.room.may(self.me, MessageType.ASK):
            words = {"text": message.text}
            if message.card is not None:
                words["card"] = message.card
            await self._send_sealed(MessageType.ASK, words)

    @on(DeckPanel.OwnWordsChosen)
    def write_own(self) -> None:
        # The composer has the focus already, so moving it would look like nothing happened.
        self.query_one(Composer).focus()
        self.query_one(StatusLine).say(
            "Write your question in the box below; ctrl+s asks it.", for_turn=True
        )

    @on(PaceNote.Reminder)
    def remind_of_pace(self, message: PaceNote.Reminder) -> None:
        self.query_one(StatusLine).say(message.sentence, for_turn=True)

    @on(Composer.Writing)
    async def tell_writing(self, message: Composer.Writing) -> None:
        self.refresh_bindings()  # F3 is live once there are words to share
        # Only the floor holder may send `typing`; a stop is owed for every start we sent.
        if message.on and self.me is not None and self.room.may(self.me, MessageType.TYPING):
            self._typing_sent = await self.link.send(Typing(on=True))
        elif not message.on and self._typing_sent:
            self._typing_sent = False
            await self.link.send(Typing(on=False))

    def ask_to_quit(self) -> None:
        """Quitting leaves the room for both, so ask first unless it is over anyway."""
        if self.me is None or self.stopped or self.room.phase is Phase.ENDED:
            self.app.exit()
            return
        outlook = self._outlook()
        self.app.push_screen(
            QuitDialog(
                outlook.partner_name if outlook is not None else None,
                may_note=self._may(MessageType.NOTE),
            ),
            callback=self._quit_answered,
        )

    async def _quit_answered(self, note: str | None) -> None:
        """None stays; otherwise leave, with the note if there is one, and sum up.

        The seat is kept, marked leaving, until an event shows the room ended: a leave
        sent offline, or lost with its connection, goes out again (client/leaving.py).
        """
        if note is None:
            return
        parting = note if note and self._may(MessageType.NOTE) else None
        self._my_note = parting
        self._leaving = True
        if self.keeper is not None:
            problem = self.keeper.leaving(parting)
            if problem is not None:
                self.query_one(StatusLine).say(problem, trouble=True)
        await self.link.leave(parting)
        self._sum_up()

    def _sum_up(self) -> None:
        """Show the session's summary, or bring it up to date with what has arrived since."""
        if self.me is None:
            self.app.exit()
            return
        leave = None
        if self._leaving:
            joined = partner_joined(self.room_log, self.me)
            leave = summary_line(
                (self.names.get(self.me.partner) or "your partner") if joined else None,
                ended=self.room.phase is Phase.ENDED,
                connected=self.link.websocket is not None,
                kept=self.keeper is not None and self.keeper.kept,
                stopped=self._stopped_because,
            )
        summary = Summary.of(self.room_log, self.me, self.names, self._my_note, leave)
        if self._summary is None:
            self._summary = SummaryScreen(summary)
            self.app.push_screen(self._summary)
        else:
            self._summary.show(summary)

    async def _send(self, message: ClientMessage) -> None:
        if not isinstance(message, Nod):
            await self._stop_typing()
        if not await self.link.send(message):
            self._not_sent()

    async def _send_sealed(self, kind: MessageType, words: dict[str, str]) -> bool:
        """Seal `words` as `kind` and send them (docs/protocol.md, Sealing): whether they went."""
        await self._stop_typing()
        if not await self.link.send_sealed(kind, words):
            self._not_sent()
            return False
        return True

    async def _stop_typing(self) -> None:
        if self._typing_sent:
            # While we still hold the floor: after this message `typing` may be refused.
            self._typing_sent = False
            await self.link.send(Typing(on=False))

    def _not_sent(self) -> None:
        self.query_one(StatusLine).say(
            "Not connected right now; nothing was sent, and your words are kept.", trouble=True
        )

    # Showing the room.

    def show_invite(self) -> None:
        """The invite and the partner's command, for the window that made the room."""
        if self.invite is not None:
            self.query_one(InviteCard).show(self.invite, self.entry.servers_to_share)

    def _outlook(self) -> Outlook | None:
        if self.me is None:
            return None
        return Outlook(self.room.state, self.me, self.code, self.names)

    def show_room(self) -> None:
        """Bring every widget in line with the room after a change."""
        outlook = self._outlook()
        turn = (self.room.round, self.room.phase)
        if turn != self._turn_shown:
            self._turn_shown = turn
            self.query_one(StatusLine).turn_moved()
        self.query_one(SessionHeader).outlook = outlook
        prompt = self.query_one(TurnPrompt)
        prompt.outlook = outlook
        prompt.display = prompt.display and not self.stopped
        listening = outlook is not None and outlook.listening and not self.stopped
        mine = outlook is not None and outlook.holds_floor and not self.stopped
        self.turn_bell.floor(self.app, mine)
        banner = self.query_one(ListeningBanner)
        banner.speaker = outlook.partner_name if outlook is not None and listening else None
        if not listening:
            self.query_one(TypingIndicator).writer = None
        self.query_one(InviteCard).display = (
            self.room.phase is Phase.WAITING
            and outlook is not None
            and self.invite is not None
            and not self.stopped
        )
        may = self._may
        deck = self.query_one(DeckPanel)
        deck_was_shown = deck.display
        deck.display = may(MessageType.ASK)
        if deck.display and not deck_was_shown:
            # Only when the turn begins: a nod must not move the cursor while the asker browses.
            assert self.me is not None
            deck.offer(self.room.round, self.room_log, self.me)
        self.query_one(ReflectionStarters).display = may(MessageType.REFLECT)
        # The follow-ups are the asker's, for the answer to their own question: once the roles
        # swap, the card is the partner's past and no longer theirs to follow up on.
        asker_listens = self.room.asker is self.me and (listening or may(MessageType.REFLECT))
        self.query_one(FollowUps).show(deck.follow_ups(self.room_log) if asker_listens else ())
        started = None if self.stopped else turn_started_at(self.room_log, self.room.phase)
        self.query_one(PaceNote).follow(started, self.room.phase)
        heard = self.query_one(HeardBeside)
        heard.display = outlook is not None and may(MessageType.CONFIRM)
        if outlook is not None and heard.display:
            heard.show(heard_this_turn(self.room_log, outlook.me), outlook.partner_name)
        self._open_composer(next((kind for kind in _WRITTEN if may(kind)), None))
        self.refresh_bindings()

    def _open_composer(self, kind: MessageType | None) -> None:
        composer = self.query_one(Composer)
        was_open = not composer.disabled
        composer.disabled = kind is None
        over = self.stopped or self.room.phase is Phase.ENDED
        closed = _OVER if over else _CLOSED
        composer.placeholder = _PLACEHOLDERS[kind] if kind is not None else closed
        if kind is self._writing:
            return
        # The turn moved on: unsent words are kept for their own kind of turn, so a
        # half-written question never becomes the next answer and nothing is lost.
        if self._writing is not None and composer.text.strip():
            self._drafts[self._writing] = composer.text
        composer.take_text()
        self._writing = kind
        if kind is None:
            return
        draft = self._drafts.pop(kind, None)
        if draft is not None:
            composer.insert(draft)
        if was_open:
            return
        # A new turn: the focus goes to the composer now, not through a message that keys
        # already queued would overtake (shared/field-notes.md); the cards have keys of
        # their own that are not letters.
        self.set_focus(composer)

    def on_key(self, event: events.Key) -> None:
        """A listener who types or tries to send is told, calmly, why nothing happens."""
        outlook = self._outlook()
        if outlook is None or self.stopped or not outlook.listening:
            return
        typed = event.is_printable and event.character not in _NOD_KEYS
        if typed or event.key == "ctrl+s":
            self.query_one(ListeningBanner).remind()

    def _may(self, kind: MessageType) -> bool:
        return self.me is not None and not self.stopped and self.room.may(self.me, kind)


def _message_type(action: str, parameters: tuple[object, ...]) -> MessageType | None:
    """The wire message an action would send, or None for actions that send nothing."""
    if action == "nod":
        return MessageType.NOD
    if action in ("send", "move") and parameters:
        return MessageType(str(parameters[0]))
    return None
