"""Phone numbers: E.164 normalisation, the number's time zone, the keyed hash."""

import hashlib
import hmac
import re

import phonenumbers
from phonenumbers import PhoneNumber, PhoneNumberType
from phonenumbers import timezone as phone_timezone

UNKNOWN_ZONE = "Etc/Unknown"
RUSSIA = 7

# What phonenumbers' general parser accepts in the spellings a Russian base really has:
# digits, spaces, brackets, dashes and dots, with an optional leading plus.
_PLAIN = re.compile(r"\+?[\d\s().\-]+")
_NOT_DIGIT = re.compile(r"\D")


def normalise(raw: str, region: str) -> str | None:
    """The number in E.164, or None when it is not a valid number."""
    facts = normalise_with_zone(raw, region)
    return facts[0] if facts else None


def zone_of(e164: str) -> str | None:
    """The number's time zone when the numbering plan gives exactly one."""
    zones = phone_timezone.time_zones_for_number(phonenumbers.parse(e164, None))
    if len(zones) == 1 and zones[0] != UNKNOWN_ZONE:
        return russian_zone(e164, str(zones[0]))
    return None


def normalise_with_zone(raw: str, region: str) -> tuple[str, str | None] | None:
    """The number in E.164 and its single zone (or None), parsed once; None when invalid."""
    number = _quick_parse(raw, region) or _parse(raw, region)
    if number is None:
        return None
    kind = phonenumbers.number_type(number)
    if kind == PhoneNumberType.UNKNOWN:
        return None
    e164 = f"+{number.country_code}{number.national_number}"
    if number.italian_leading_zero:
        e164 = str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    return e164, _single_zone(number, kind, e164)


def russian_zone(e164: str, zone: str) -> str:
    """Correct phonenumbers' zone for Kaliningrad (+7 401…), which it files as Bucharest.

    Bucharest keeps daylight saving time and Kaliningrad does not: half the year the
    calling window would be an hour off.
    """
    if e164.startswith("+7") and zone == "Europe/Bucharest":
        return "Europe/Kaliningrad"
    return zone


def phone_hash(key: str, e164: str) -> str:
    """A keyed hash of the number: what suppression remembers after erasure."""
    return hmac.digest(key.encode(), e164.encode(), hashlib.sha256).hex()


# A number with no place (a mobile, a toll-free line) has its country's zones, which
# depend on the country code alone: computed once per code, not once per number.
_country_zone_cache: dict[int, tuple[str, ...]] = {}


def _country_zones(number: PhoneNumber) -> tuple[str, ...]:
    code = number.country_code or 0
    if code not in _country_zone_cache:
        _country_zone_cache[code] = tuple(phone_timezone.time_zones_for_number(number))
    return _country_zone_cache[code]


def _parse(raw: str, region: str) -> PhoneNumber | None:
    try:
        return phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None


def _quick_parse(raw: str, region: str) -> PhoneNumber | None:
    """The common Russian spellings without the general parser (a third of its cost).

    Gives what `phonenumbers.parse` gives for these spellings — a test holds it to
    that — and None for anything else, which then takes the general path.
    """
    text = raw.strip()
    if region != "RU" or not _PLAIN.fullmatch(text) or "+" in text[1:]:
        return None
    digits = _NOT_DIGIT.sub("", text)
    if text.startswith("+"):
        national = digits[1:] if len(digits) == 11 and digits[0] == "7" else None
    elif len(digits) == 11 and digits[0] in "78":
        national = digits[1:]
    else:
        national = digits if len(digits) == 10 else None
    if national is None or national[0] == "0":
        return None
    return PhoneNumber(country_code=RUSSIA, national_number=int(national))


def _single_zone(number: PhoneNumber, kind: int, e164: str) -> str | None:
    if phonenumbers.is_number_type_geographical(kind, number.country_code or 0):
        zones = phone_timezone.time_zones_for_geographical_number(number)
    else:
        zones = _country_zones(number)
    if len(zones) == 1 and zones[0] != UNKNOWN_ZONE:
        return russian_zone(e164, str(zones[0]))
    return None
