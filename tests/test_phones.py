"""Phone numbers: the spellings of one number, the zone fix, the quick parser's agreement."""

import hashlib
import hmac
import random
import time
import uuid

import phonenumbers
import pytest
from phonenumbers import timezone as phone_timezone

from dialer.contacts.imports.rows import time_ordered_ids
from dialer.contacts.phones import (
    normalise,
    normalise_with_zone,
    phone_hash,
    russian_zone,
    zone_of,
)

SPELLINGS = ["8 (495) 123-45-67", "+7 495 123 45 67", "84951234567", "(495)123-45-67"]


@pytest.mark.parametrize("raw", SPELLINGS)
def test_the_four_spellings_of_a_moscow_number_are_one(raw: str) -> None:
    assert normalise_with_zone(raw, "RU") == ("+74951234567", "Europe/Moscow")


def test_kaliningrad_keeps_its_own_zone_not_bucharests() -> None:
    assert russian_zone("+74012556677", "Europe/Bucharest") == "Europe/Kaliningrad"
    assert russian_zone("+40212345678", "Europe/Bucharest") == "Europe/Bucharest"
    assert russian_zone("+74951234567", "Europe/Moscow") == "Europe/Moscow"
    assert zone_of("+74012556677") == "Europe/Kaliningrad"
    assert normalise_with_zone("8 4012 55-66-77", "RU") == ("+74012556677", "Europe/Kaliningrad")


def test_a_mobile_number_has_no_single_zone_and_garbage_is_invalid() -> None:
    assert normalise_with_zone("+7 912 345-67-89", "RU") == ("+79123456789", None)
    assert normalise("12345", "RU") is None
    assert normalise("not a phone", "RU") is None
    assert normalise("+7 000 000 00 00", "RU") is None


def reference(raw: str) -> tuple[str, str | None] | None:
    """What phonenumbers' general parser makes of a spelling."""
    try:
        number = phonenumbers.parse(raw, "RU")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    zones = [z for z in phone_timezone.time_zones_for_number(number) if z != "Etc/Unknown"]
    return e164, russian_zone(e164, zones[0]) if len(zones) == 1 else None


def spelling(rng: random.Random) -> str:
    digits = "".join(rng.choice("0123456789") for _ in range(rng.choice([9, 10, 10, 10, 11])))
    a, b, c, d = digits[:3], digits[3:6], digits[6:8], digits[8:]
    forms = [
        f"+7 {a} {b} {c} {d}",
        f"8 ({a}) {b}-{c}-{d}",
        f"8{digits}",
        f"7{digits}",
        f"({a}){b}-{c}-{d}",
        f"{a}.{b}.{c}.{d}",
        f"+{digits}",
        f"+8{digits}",
        f" {digits} ",
        f"+7-{a}-{b}-{c}{d}",
        f"8{digits[:-1]}+{d}",
        f"+7 ({a}) {b}-{c}-{d} доб.",
        f"8-{a}-{b}-{c}-{d}/",
    ]
    return rng.choice(forms)


def test_the_quick_parser_agrees_with_the_general_one() -> None:
    rng = random.Random(20261127)
    prefixes = ["495", "812", "4012", "343", "383", "423", "912", "916", "800", "3", "7", "0"]
    for _ in range(20_000):
        raw = spelling(rng)
        if rng.random() < 0.6:
            raw = raw.replace(raw.strip("+ 78(")[:3], rng.choice(prefixes), 1)
        assert normalise_with_zone(raw, "RU") == reference(raw), raw


@pytest.mark.parametrize(
    "raw",
    [
        "8 (495) 123-45-6\u0667",
        "\uff18\uff14\uff19\uff15\uff11\uff12\uff13\uff14\uff15\uff16\uff17",
        "+7 \u0664\u0669\u0665 123 45 67",
    ],
)
def test_digits_of_other_scripts_are_read_as_the_general_parser_reads_them(raw: str) -> None:
    assert normalise_with_zone(raw, "RU") == reference(raw) == ("+74951234567", "Europe/Moscow")


def test_import_ids_are_version_7_uuids_of_the_time_they_were_drawn() -> None:
    before = time.time_ns() // 1_000_000
    ids = time_ordered_ids(block=8)
    drawn = [uuid.UUID(hex=next(ids)) for _ in range(20)]
    after = time.time_ns() // 1_000_000
    assert {u.version for u in drawn} == {7}
    assert {u.variant for u in drawn} == {uuid.RFC_4122}
    assert len(set(drawn)) == 20
    stamps = [u.int >> 80 for u in drawn]
    assert stamps == sorted(stamps)
    assert before <= stamps[0] <= stamps[-1] <= after


def test_every_russian_number_type_is_told_as_phonenumbers_tells_it() -> None:
    rng = random.Random(7)
    for _ in range(30_000):
        national = rng.choice("3489") + "".join(rng.choice("0123456789") for _ in range(9))
        raw = rng.choice([f"+7{national}", f"8{national}", national])
        assert normalise_with_zone(raw, "RU") == reference(raw), raw


@pytest.mark.parametrize(
    "key", ["k", "bench-secret", "x" * 63, "y" * 64, "z" * 65, "ключ-" * 20, "a" * 200]
)
def test_the_phone_hash_is_the_standard_hmac_of_the_number(key: str) -> None:
    for e164 in ["+74951234567", "+79123456789", "+380441234567", ""]:
        expected = hmac.digest(key.encode(), e164.encode(), hashlib.sha256).hex()
        assert phone_hash(key, e164) == expected
        assert phone_hash(key, e164) == expected  # the key's states are not consumed
