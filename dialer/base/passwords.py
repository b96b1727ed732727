"""Which passwords a person may choose: long enough, not the login, not a common one.

"Common" is zxcvbn's judgement (the maintained port of Dropbox's estimator): its lists of
the 30,000 most used passwords, words and names, keyboard walks, repeats and dates, and
the login itself as a word. A password it guesses within a million tries is refused.
"""

from dialer.base.errors import InvalidInput

MIN_LENGTH = 10
MAX_LENGTH = 256
# zxcvbn refuses longer input; what follows the 72nd character only makes it harder.
_ESTIMATED_LENGTH = 72
# zxcvbn's scores: 0 and 1 fall within 10^6 guesses, an online attack's reach.
MIN_SCORE = 2


def password_problem(password: str, login: str) -> str | None:
    """Why the password is refused for this login, as a short phrase; None when it is fine."""
    if len(password) < MIN_LENGTH:
        return f"at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"at most {MAX_LENGTH} characters"
    folded, own = password.casefold(), login.casefold()
    if own and (folded == own or (len(own) >= 4 and own in folded)):
        return "must not contain the login"
    # Here, not at the top: its lists take 0.1 s to load, paid by every start of the
    # service and the command line, though only a new password needs them.
    from zxcvbn import zxcvbn

    if zxcvbn(password[:_ESTIMATED_LENGTH], user_inputs=[login])["score"] < MIN_SCORE:
        return "too common or too easy to guess"
    return None


def check_password(password: str, login: str, loc: list[str] | None = None) -> None:
    """Refuse a password a person must not choose, saying why, as a 422 with `fields`
    (at `loc`, by default `["password"]`)."""
    problem = password_problem(password, login)
    if problem is not None:
        raise InvalidInput(
            f"The password is refused: {problem}.",
            fields=[{"loc": loc or ["password"], "msg": problem}],
        )
