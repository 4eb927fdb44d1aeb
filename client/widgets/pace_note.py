"""How long the turn has run, softly, and a gentle line at the time the pair chose."""

import time
from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Static

from client.pacing import REMINDER, minutes_between, pace_words
from client.settings import Settings
from shared.seats import Phase

PACE_EVERY = 30.0
"""Seconds between looks at the clock while a turn runs: minutes are all it shows."""


class PaceNote(Static):
    """`sharing for 3 min`; ticks only while a turn runs, so an idle room costs no CPU."""

    @dataclass
    class Reminder(Message):
        """The turn has run as long as the pair chose: one gentle line to show."""

        sentence: str

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.clock: Callable[[], float] = time.time
        """Unix seconds now; the turn's start comes from the server's `at`."""
        self.every = PACE_EVERY
        self.remind_after = 0
        """Minutes into a turn for the gentle reminder (settings' `pace_minutes`); 0 is off."""
        self.started_at: int | None = None
        self._phase = Phase.WAITING
        self._reminded = False
        self._ticking: Timer | None = None
        self.display = False

    def on_mount(self) -> None:
        # The pair's choice (`pace_minutes` in client/settings.py); an app without settings: off.
        settings = getattr(self.app, "settings", None)
        if isinstance(settings, Settings):
            self.remind_after = settings.pace_minutes

    def follow(self, started_at: int | None, phase: Phase) -> None:
        """Follow the turn that started at `started_at` (Unix ms), or rest when None."""
        self._phase = phase
        if started_at != self.started_at:
            self.started_at = started_at
            self._reminded = False
            if self._ticking is not None:
                self._ticking.stop()
                self._ticking = None
            if started_at is not None:
                self._ticking = self.set_interval(self.every, self.tick)
        self.tick()

    def tick(self) -> None:
        """Look at the clock: update the words, and remind once if the chosen time has come."""
        if self.started_at is None:
            self.display = False
            return
        minutes = minutes_between(self.started_at, self.clock())
        words = pace_words(minutes, self._phase)
        # Hidden while it has nothing to say, so it takes no room from the typing line.
        self.display = bool(words)
        self.update(Text(words))
        if self.remind_after and minutes >= self.remind_after and not self._reminded:
            self._reminded = True
            self.post_message(self.Reminder(REMINDER))
