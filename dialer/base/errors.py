"""Domain errors: one class per outcome, knowing nothing of HTTP.

Each carries the contract's `error` code, a sentence for a person and any
extra fields; `app/` maps the families below to statuses.
"""

from typing import Any, ClassVar


class DomainError(Exception):
    """A refusal the client can show."""

    code: ClassVar[str] = "error"
    default_detail: ClassVar[str] = "The request was refused."

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        self.detail = detail or self.default_detail
        self.extra = extra
        super().__init__(self.detail)


class Unauthenticated(DomainError):
    code = "unauthenticated"
    default_detail = "Log in first: the token is missing, expired or revoked."


class Forbidden(DomainError):
    code = "forbidden"
    default_detail = "Your role or ownership does not allow this."


class NotFound(DomainError):
    code = "not_found"
    default_detail = "There is no such thing."


class InvalidInput(DomainError):
    """Input that is well-formed but breaks a rule; extra `fields` say where."""

    code = "invalid_input"
    default_detail = "The input is not valid."


class Conflict(DomainError):
    """The state of things does not allow the request now."""

    code = "conflict"


class LoginTaken(Conflict):
    code = "login_taken"
    default_detail = "That login is already taken."


class InvalidFile(InvalidInput):
    code = "invalid_file"
    default_detail = "The file is not a readable CSV with a phone column; nothing was imported."


class OwnAccount(Conflict):
    code = "own_account"
    default_detail = "You cannot deactivate yourself: another admin does."


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
    default_detail = "This Idempotency-Key was already used with another request."


class NotRostered(Forbidden):
    code = "not_rostered"
    default_detail = "You are not on the roster of the open shift."


class NoOpenShift(Conflict):
    code = "no_open_shift"
    default_detail = "No shift is open now."


class NotClockedIn(Conflict):
    code = "not_clocked_in"
    default_detail = "Clock in to the open shift first."


class ShiftPaused(Conflict):
    code = "shift_paused"
    default_detail = "The shift is paused by a supervisor."


class OperatorPaused(Conflict):
    code = "operator_paused"
    default_detail = "A supervisor has paused you."


class DialerPaused(Conflict):
    code = "dialer_paused"
    default_detail = "Dialing is paused."


class QueueEmpty(Conflict):
    code = "queue_empty"
    default_detail = "There is no number to call now."


class InvalidTransition(Conflict):
    code = "invalid_transition"
    default_detail = "That change of state is not allowed from the current state."


class LeaseExpired(Conflict):
    code = "lease_expired"
    default_detail = "The lease has expired; the contact went back to the queue."


class LeaseClosed(Conflict):
    code = "lease_closed"
    default_detail = "The lease has already ended."


class ErasedNumber(Conflict):
    code = "erased_number"
    default_detail = (
        "This number was erased at its owner's request: its suppression stays for good."
    )


class NoManagerRoom(Conflict):
    code = "no_manager_room"
    default_detail = "No other active acquisition manager has room for it now."


class TooManyRequests(DomainError):
    """Slow down; extra `retry_after` says for how many seconds."""

    code = "too_many_requests"
    default_detail = "Too many requests: slow down and try again shortly."


class ShiftClosed(Conflict):
    code = "shift_closed"
    default_detail = "The shift is closed: its roster and attendance no longer change."


class PublicUrlUnset(Conflict):
    code = "public_url_unset"
    default_detail = (
        "The service does not know the address softphones reach it at: set "
        "CASCADE_PUBLIC_URL (e.g. https://cascade.example) and try again. Nothing was changed."
    )


class BreakCodeTaken(Conflict):
    code = "break_code_taken"
    default_detail = "That break code already exists."


class NotAudio(InvalidInput):
    code = "not_audio"
    default_detail = "The body is not a WAV, Ogg or MP3 recording."


class TruncatedAudio(InvalidInput):
    code = "truncated_audio"
    default_detail = "The recording is cut short: send the whole file again."


class RecordingTooLarge(InvalidInput):
    code = "too_large"
    default_detail = "The recording is larger than the limit."


class RecordingExists(Conflict):
    code = "recording_exists"
    default_detail = (
        "This attempt already has a different recording; a recording is evidence and is "
        "never replaced."
    )


class AlreadyReviewed(Conflict):
    code = "already_reviewed"
    default_detail = "This call has already been reviewed."


class ConsentRequired(InvalidInput):
    code = "consent_required"
    default_detail = (
        "This campaign files a warm questionnaire only with the contact's consent: "
        "ask for it and record it with the outcome."
    )


class RecordingMissing(NotFound):
    code = "not_found"
    default_detail = "The recording's audio is no longer in the store."
