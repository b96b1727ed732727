"""The pure rules of the managers' side: saturation marks, turns, the cascade's steps."""

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from dialer.base.folds import company_key
from dialer.base.models import AccountStage
from dialer.base.settings import Settings
from dialer.sales.accounts import promotion
from dialer.sales.policy import Marks, Policy, policy_from
from dialer.sales.routing import Load, choose
from dialer.sales.saturation import reaches_high, resume_at_most, resume_estimate, stays_paused

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
MARKS = Marks(high=100, low=80)


@pytest.mark.parametrize(
    ("open_count", "paused"),
    [(0, False), (79, False), (80, False), (99, False), (100, True), (101, True)],
)
def test_a_running_dialer_pauses_at_the_high_mark(open_count: int, paused: bool) -> None:
    assert stays_paused(False, open_count, 100, MARKS) is paused


@pytest.mark.parametrize(
    ("open_count", "paused"),
    [(100, True), (99, True), (81, True), (80, False), (79, False), (0, False)],
)
def test_a_paused_dialer_resumes_at_the_low_mark(open_count: int, paused: bool) -> None:
    assert stays_paused(True, open_count, 100, MARKS) is paused


def test_marks_are_percentages_of_any_capacity() -> None:
    # 12 of 15 is 80 %: at the low mark; 14 of 15 is 93 %: still paused.
    assert stays_paused(True, 12, 15, MARKS) is False
    assert stays_paused(True, 13, 15, MARKS) is True
    assert stays_paused(False, 14, 15, MARKS) is False
    assert stays_paused(False, 15, 15, MARKS) is True


def test_other_marks_move_the_edges() -> None:
    marks = Marks(high=90, low=50)
    assert stays_paused(False, 8, 10, marks) is False
    assert stays_paused(False, 9, 10, marks) is True
    assert stays_paused(True, 6, 10, marks) is True
    assert stays_paused(True, 5, 10, marks) is False


def test_without_any_manager_a_single_questionnaire_pauses() -> None:
    assert reaches_high(0, 0, MARKS) is False
    assert reaches_high(1, 0, MARKS) is True
    assert stays_paused(True, 0, 0, MARKS) is False


def test_the_low_mark_must_be_below_the_high() -> None:
    with pytest.raises(ValueError, match="below"):
        Marks(high=80, low=80)
    with pytest.raises(ValueError, match="below"):
        Settings(saturation_high_percent=80, saturation_low_percent=90)


def test_the_default_policy_is_what_the_default_settings_say() -> None:
    assert policy_from(Settings()) == Policy()


def test_resume_is_estimated_from_the_recent_closing_rate() -> None:
    # 10 above the mark (90 open, resume at 80), 20 closed in the last 24 h: 12 h.
    assert resume_at_most(100, MARKS) == 80
    estimate = resume_estimate(90, 100, MARKS, 20, timedelta(hours=24), NOW)
    assert estimate == NOW + timedelta(hours=12)


def test_no_closing_means_no_estimate_and_below_the_mark_means_now() -> None:
    assert resume_estimate(90, 100, MARKS, 0, timedelta(hours=24), NOW) is None
    assert resume_estimate(80, 100, MARKS, 0, timedelta(hours=24), NOW) == NOW


def _load(open_count: int, capacity: int, last: datetime | None = None) -> Load:
    return Load(uuid.uuid4(), open_count, capacity, last)


def test_the_lowest_load_wins_not_the_fewest_questionnaires() -> None:
    small = _load(2, 4)  # 50 %
    large = _load(3, 10)  # 30 %
    assert choose([small, large]) is large


def test_among_equal_loads_the_least_recently_assigned_goes_first() -> None:
    recent = _load(1, 10, NOW)
    earlier = _load(1, 10, NOW - timedelta(minutes=5))
    never = _load(1, 10, None)
    assert choose([recent, earlier, never]) is never
    assert choose([recent, earlier]) is earlier


def test_full_managers_get_nothing() -> None:
    full = _load(5, 5)
    nothing = _load(0, 0)
    assert choose([full, nothing]) is None
    assert choose([full, nothing], need_room=False) is nothing


def test_company_names_compare_folded() -> None:
    assert company_key("ООО «Ромашка»") == company_key("ооо  ромашка ") == "ооо ромашка"
    assert company_key('"Vector" LLC') == "vector llc"
    assert company_key("  ") is None
    assert company_key(None) is None


POLICY = Policy(plan_volume=Decimal(1000), strategic_threshold=Decimal(5000))


@pytest.mark.parametrize(
    ("stage", "turnover", "strategic", "expected"),
    [
        (AccountStage.WORKING, Decimal(999), False, None),
        (AccountStage.WORKING, Decimal(1000), False, AccountStage.REGULAR),
        (AccountStage.WORKING, Decimal(4999), False, AccountStage.REGULAR),
        (AccountStage.WORKING, Decimal(5000), False, AccountStage.KEY_ACCOUNT),
        (AccountStage.WORKING, Decimal(0), True, AccountStage.KEY_ACCOUNT),
        (AccountStage.REGULAR, Decimal(4999), False, None),
        (AccountStage.REGULAR, Decimal(5000), False, AccountStage.KEY_ACCOUNT),
        (AccountStage.REGULAR, Decimal(10), True, AccountStage.KEY_ACCOUNT),
        (AccountStage.KEY_ACCOUNT, Decimal(0), False, None),
        (AccountStage.KEY_ACCOUNT, Decimal(9999), True, None),
    ],
)
def test_the_cascade_only_moves_forward(
    stage: AccountStage, turnover: Decimal, strategic: bool, expected: AccountStage | None
) -> None:
    step = promotion(stage, turnover, strategic, POLICY)
    assert (step[0] if step else None) is expected
