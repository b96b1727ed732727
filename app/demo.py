"""The demo floor: users of every role, a campaign and contacts across time zones."""

import uuid
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.base.models import Contact, ContactState, Desk, Role, User
from dialer.base.settings import Settings
from dialer.base.users import NewUser, create_user
from dialer.contacts.campaigns import CampaignSpec, create_campaign
from dialer.contacts.phones import phone_hash
from dialer.shifts.attendance import set_roster
from dialer.shifts.breaks import add_break_code
from dialer.shifts.calendar import local_date
from dialer.shifts.dated import generate_shifts, shifts_between

DEMO_PASSWORD = "cascade-demo"

DEMO_USERS: list[tuple[str, str, Role, Desk | None, int | None]] = [
    ("admin", "Администратор", Role.ADMIN, None, None),
    ("supervisor", "Старший смены", Role.SUPERVISOR, None, None),
    ("mpk1", "Ирина (МПК)", Role.MANAGER, Desk.ACQUISITION, 10),
    ("mpk2", "Олег (МПК)", Role.MANAGER, Desk.ACQUISITION, 10),
    ("mrk1", "Мария (МРК)", Role.MANAGER, Desk.DEVELOPMENT, 30),
    ("regular1", "Отдел постоянных клиентов", Role.MANAGER, Desk.REGULAR, 100),
    ("kam1", "Андрей (КАМ)", Role.MANAGER, Desk.KEY_ACCOUNT, 10),
    ("operator1", "Студент 1", Role.OPERATOR, None, None),
    ("operator2", "Студент 2", Role.OPERATOR, None, None),
    ("operator3", "Студент 3", Role.OPERATOR, None, None),
    ("operator4", "Студент 4", Role.OPERATOR, None, None),
]

# The kinds of break the console offers: with none, an operator could take no break.
DEMO_BREAK_CODES: list[tuple[str, str, bool]] = [
    ("lunch", "Обед", False),
    ("rest", "Перерыв 10 минут", True),
    ("tech", "Техническая пауза", True),
]

# Numbers across Russia's zones, from Kaliningrad to Vladivostok.
DEMO_CONTACTS: list[tuple[str, str, str, str]] = [
    ("+74951234567", "Пётр Иванов", "ООО Ромашка", "Europe/Moscow"),
    ("+74952345678", "Анна Смирнова", "АО Вектор", "Europe/Moscow"),
    ("+78123456789", "Сергей Кузнецов", "ООО Балтика-Снаб", "Europe/Moscow"),
    ("+74012556677", "Ольга Попова", "ООО Янтарь", "Europe/Kaliningrad"),
    ("+73432123456", "Дмитрий Волков", "ООО УралМаш-Сервис", "Asia/Yekaterinburg"),
    ("+73832123456", "Елена Новикова", "ООО Сибирь-Опт", "Asia/Novosibirsk"),
    ("+74232223344", "Игорь Морозов", "ООО Приморье", "Asia/Vladivostok"),
    ("+78432123456", "Наталья Лебедева", "ООО Казань-Трейд", "Europe/Moscow"),
]


async def seed(
    session: AsyncSession, settings: Settings, now: datetime
) -> list[tuple[str, str, str]] | None:
    """Seed the demo into an empty database; None when users already exist."""
    if await session.scalar(select(User.id).limit(1)) is not None:
        return None
    logins = []
    operators = []
    for login, name, role, desk, capacity in DEMO_USERS:
        rate = Decimal("300.00") if role is Role.OPERATOR else None
        new = NewUser(login, DEMO_PASSWORD, name, role, desk, capacity, rate)
        user = await create_user(session, new, now)
        if role is Role.OPERATOR:
            operators.append(user.id)
        label = f"{role.value} ({desk.value})" if desk else role.value
        logins.append((login, DEMO_PASSWORD, label))
    campaign = await create_campaign(
        session,
        CampaignSpec(
            name="Поставки канцтоваров для офиса",
            script="Здравствуйте! Меня зовут …, компания «Каскад». Кто у вас отвечает за закупки?",
        ),
        now,
    )
    for phone, name, company, zone in DEMO_CONTACTS:
        session.add(
            Contact(
                campaign_id=campaign.id,
                phone=phone,
                phone_hash=phone_hash(settings.secret_key, phone),
                name=name,
                company=company,
                timezone=zone,
                fields={},
                state=ContactState.READY,
                priority=0,
                next_call_at=now,
                attempts=0,
                expired_streak=0,
                created_at=now,
            )
        )
    for code, label, paid in DEMO_BREAK_CODES:
        await add_break_code(session, code, label, paid, now)
    await session.flush()
    await roster_first_day(session, operators, now)
    return logins


async def roster_first_day(
    session: AsyncSession, operator_ids: list[uuid.UUID], now: datetime
) -> None:
    """Roster the operators on every shift of the first day that still has some ahead.

    Today's, on a working day before 18:00 Moscow time; otherwise the next working day's,
    so the demo always has a floor to clock in to.
    """
    await generate_shifts(session, now)
    ahead = [
        v
        for v in await shifts_between(
            session, now.date() - timedelta(days=1), now.date() + timedelta(days=7)
        )
        if v.shift.ends_at > now
    ]
    if not ahead:
        return
    day = local_date(ahead[0].shift.starts_at, ahead[0].timezone)
    for v in ahead:
        if local_date(v.shift.starts_at, v.timezone) == day:
            await set_roster(session, v.shift.id, operator_ids, now)
