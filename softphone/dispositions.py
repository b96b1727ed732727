"""The outcome of a call: from the options for scripted use, else asked on the terminal."""

from typing import Any

from softphone.api import Lease
from softphone.terminal import Terminal

DISPOSITIONS = (
    "no_answer",
    "busy",
    "voicemail",
    "wrong_number",
    "not_interested",
    "callback",
    "warm",
    "do_not_call",
)
# What a script may choose: the rest need a time or a questionnaire a person gives.
SCRIPTED = ("no_answer", "busy", "voicemail", "wrong_number", "not_interested", "do_not_call")
SUGGESTED = "suggested"


class NoAnswerOnTerminal(Exception):
    """A disposition must be asked for, and the terminal's input has ended."""


class Chooser:
    """`disposition` is one of SCRIPTED, `suggested` (then `otherwise` when there is no
    suggestion), or None to ask every time."""

    def __init__(
        self,
        terminal: Terminal,
        disposition: str | None = None,
        otherwise: str | None = None,
        objection: str | None = None,
    ) -> None:
        self.terminal = terminal
        self.disposition = disposition
        self.otherwise = otherwise
        self.objection = objection

    def scripted(self, suggested: str | None) -> str | None:
        """The disposition the options give for this call, if they give one."""
        if self.disposition == SUGGESTED:
            return suggested or self.otherwise
        return self.disposition

    def interactive(self, suggested: str | None) -> bool:
        return self.scripted(suggested) is None

    async def choose(self, lease: Lease, suggested: str | None) -> dict[str, Any]:
        """The outcome's body."""
        choice = self.scripted(suggested)
        if choice is not None:
            body: dict[str, Any] = {"disposition": choice}
            if choice == "not_interested":
                body["objection"] = self.objection
            return body
        return await self.ask(lease, suggested)

    async def ask(self, lease: Lease, suggested: str | None) -> dict[str, Any]:
        choice = await self._pick(
            f"disposition [{suggested or ''}] ({' '.join(DISPOSITIONS)}):", DISPOSITIONS, suggested
        )
        body: dict[str, Any] = {"disposition": choice}
        if choice == "not_interested":
            body["objection"] = await self._pick(
                f"objection ({' '.join(lease.objections)}):", tuple(lease.objections), None
            )
        elif choice == "callback":
            body["callback_at"] = await self._text("call back at (e.g. 2026-12-01T15:30:00+03:00):")
            scope = await self._pick(
                "for [personal] (personal anyone):", ("personal", "anyone"), "personal"
            )
            body["callback_scope"] = scope
        elif choice == "warm":
            body["questionnaire"] = {
                item["name"]: await self._text(f"{item.get('label') or item['name']}:")
                for item in lease.questionnaire_fields
            }
        return body

    async def _pick(self, question: str, allowed: tuple[str, ...], default: str | None) -> str:
        while True:
            typed = (await self._text(question)) or default
            if typed in allowed:
                return typed
            self.terminal.say(f"one of: {' '.join(allowed)}")

    async def _text(self, question: str) -> str:
        typed = await self.terminal.ask(question)
        if typed is None:
            raise NoAnswerOnTerminal(
                "the terminal's input ended: give --disposition to run unattended"
            )
        return typed.strip()
