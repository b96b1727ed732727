"""Phone numbers: E.164 normalisation, the number's time zone, the keyed hash."""

import hashlib
import re
from dataclasses import dataclass
from functools import cache

import phonenumbers
from phonenumbers import PhoneMetadata, PhoneNumber, PhoneNumberType
from phonenumbers import timezone as phone_timezone
from phonenumbers.tzdata import TIMEZONE_DATA

UNKNOWN_ZONE = "Etc/Unknown"
RUSSIA = 7

# What phonenumbers' general parser accepts in the spellings a Russian base really has:
# digits, spaces, brackets, dashes and dots, with an optional leading plus; the marks are
# dropped, and what is left must be digits alone.
_SPELLING_MARKS = str.maketrans("", "", " \t\n\r\f\v\x1c\x1d\x1e\x1f().-")


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
    national = _quick_national(raw) if region == "RU" else None
    if national is not None and _russian_plan().leading.match(national):
        return _russian_facts(national)
    number = _parse(raw, region)
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
    """A keyed hash of the number: what suppression remembers after erasure.

    HMAC-SHA256 with the service's key, whose two padded blocks are hashed once per key
    (`hmac.digest` redoes them for every number: measured, 4.4 µs a number against 1.7).
    """
    inner, outer = _hmac_states(key)
    hashed = inner.copy()
    hashed.update(e164.encode())
    keyed = outer.copy()
    keyed.update(hashed.digest())
    return keyed.hexdigest()


_SHA256_BLOCK = 64


@cache
def _hmac_states(key: str) -> tuple["hashlib._Hash", "hashlib._Hash"]:
    # RFC 2104: a key longer than a block is hashed first; then padded to the block.
    block = key.encode()
    if len(block) > _SHA256_BLOCK:
        block = hashlib.sha256(block).digest()
    block = block.ljust(_SHA256_BLOCK, b"\0")
    inner = hashlib.sha256(bytes(byte ^ 0x36 for byte in block))
    outer = hashlib.sha256(bytes(byte ^ 0x5C for byte in block))
    return inner, outer


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


def _quick_national(raw: str) -> str | None:
    """The national number of the common Russian spellings, without the general parser.

    Gives the national number `phonenumbers.parse(raw, "RU")` gives for these spellings
    (a test holds the whole normalisation to that), and None for anything else, which
    then takes the general path.
    """
    text = raw.strip()
    # ASCII only: other scripts' digits are the general parser's to read.
    if not text.isascii():
        return None
    plus = text.startswith("+")
    digits = (text[1:] if plus else text).translate(_SPELLING_MARKS)
    if not digits.isdigit():
        return None
    if plus:
        national = digits[1:] if len(digits) == 11 and digits[0] == "7" else None
    elif len(digits) == 11 and digits[0] in "78":
        national = digits[1:]
    else:
        national = digits if len(digits) == 10 else None
    if national is None or national[0] == "0":
        return None
    return national


@dataclass(frozen=True)
class _Desc:
    """One number type of a region's metadata, its pattern compiled once."""

    lengths: tuple[int, ...]
    pattern: re.Pattern[str] | None

    def fits(self, length: int) -> bool:
        # As phonenumbers' _is_number_matching_desc: lengths first, then the whole pattern.
        return self.pattern is not None and (not self.lengths or length in self.lengths)

    def matches(self, national: str) -> bool:
        return (
            self.fits(len(national))
            and self.pattern is not None
            and (self.pattern.fullmatch(national) is not None)
        )


# The order in which phonenumbers' _number_type_helper tries the types; fixed lines and
# mobiles come last.
_TYPE_ORDER = (
    (PhoneNumberType.PREMIUM_RATE, "premium_rate"),
    (PhoneNumberType.TOLL_FREE, "toll_free"),
    (PhoneNumberType.SHARED_COST, "shared_cost"),
    (PhoneNumberType.VOIP, "voip"),
    (PhoneNumberType.PERSONAL_NUMBER, "personal_number"),
    (PhoneNumberType.PAGER, "pager"),
    (PhoneNumberType.UAN, "uan"),
    (PhoneNumberType.VOICEMAIL, "voicemail"),
    (PhoneNumberType.FIXED_LINE, "fixed_line"),
    (PhoneNumberType.MOBILE, "mobile"),
)
_KINDS = {name: kind for kind, name in _TYPE_ORDER}


class _RussianPlan:
    def __init__(
        self, leading: re.Pattern[str], general: _Desc, descs: dict[str, _Desc], same: bool
    ) -> None:
        self.leading, self.general, self.descs = leading, general, descs
        self.same_mobile_and_fixed_line = same
        self._types: dict[int, re.Pattern[str]] = {}

    def types(self, length: int) -> re.Pattern[str]:
        """One pattern for numbers of this length: each type an alternative, in order.

        A full match takes the first alternative that matches the whole number, so
        one search tells the type that phonenumbers' tries one by one would.
        """
        if length not in self._types:
            names = [name for _, name in _TYPE_ORDER if name in self.descs]
            if self.same_mobile_and_fixed_line and "mobile" in names:
                # A number that is no fixed line is then no mobile either.
                names.remove("mobile")
            alternatives = [
                f"(?P<{name}>{pattern.pattern})"
                for name in names
                if self.descs[name].fits(length) and (pattern := self.descs[name].pattern)
            ]
            self._types[length] = re.compile("|".join(alternatives) or "(?!)")
        return self._types[length]


@cache
def _russian_plan() -> _RussianPlan:
    metadata = PhoneMetadata.metadata_for_region("RU")
    assert metadata is not None
    assert metadata.leading_digits is not None
    descs = {}
    for name in ["general_desc", *_KINDS]:
        desc = getattr(metadata, name)
        if desc is not None:
            pattern = desc.national_number_pattern
            descs[name] = _Desc(
                tuple(desc.possible_length), re.compile(pattern) if pattern else None
            )
    return _RussianPlan(
        re.compile(metadata.leading_digits),
        descs.pop("general_desc"),
        descs,
        bool(metadata.same_mobile_and_fixed_line_pattern),
    )


def _russian_facts(national: str) -> tuple[str, str | None] | None:
    """`normalise_with_zone` of a +7 number of Russia, without building a PhoneNumber."""
    kind = _russian_type(national)
    if kind == PhoneNumberType.UNKNOWN:
        return None
    e164 = f"+{RUSSIA}{national}"
    if not phonenumbers.is_number_type_geographical(kind, RUSSIA):
        return e164, None  # a mobile has its country's zones: Russia spans eleven
    return e164, _one_zone(_geographic_zones(e164), e164)


def _russian_type(national: str) -> int:
    """phonenumbers' number_type for +7 numbers of Russia, from patterns compiled once.

    Its own takes a third of an import's time, most of it looking up compiled patterns;
    a test holds this one to give the same answers.
    """
    plan = _russian_plan()
    if not plan.general.matches(national):
        return PhoneNumberType.UNKNOWN
    found = plan.types(len(national)).fullmatch(national)
    if found is None or found.lastgroup is None:
        return PhoneNumberType.UNKNOWN
    kind = _KINDS[found.lastgroup]
    if kind == PhoneNumberType.FIXED_LINE:
        mobile = plan.same_mobile_and_fixed_line or (
            "mobile" in plan.descs and plan.descs["mobile"].matches(national)
        )
        return PhoneNumberType.FIXED_LINE_OR_MOBILE if mobile else kind
    return kind


def _single_zone(number: PhoneNumber, kind: int, e164: str) -> str | None:
    if phonenumbers.is_number_type_geographical(kind, number.country_code or 0):
        zones = _geographic_zones(e164)
    else:
        zones = _country_zones(number)
    return _one_zone(zones, e164)


def _geographic_zones(e164: str) -> tuple[str, ...]:
    """phonenumbers' time_zones_for_geographical_number, read from the E.164 text it makes."""
    digits = e164[1:]
    for length in range(_longest_zone_prefix(digits[0]), 0, -1):
        if (zones := TIMEZONE_DATA.get(digits[:length])) is not None:
            return zones
    return (UNKNOWN_ZONE,)


@cache
def _longest_zone_prefix(first_digit: str) -> int:
    """The longest prefix of the zone data that starts with this digit (+7: four digits)."""
    lengths = [len(prefix) for prefix in TIMEZONE_DATA if prefix.startswith(first_digit)]
    return max(lengths, default=0)


def _one_zone(zones: tuple[str, ...], e164: str) -> str | None:
    if len(zones) == 1 and zones[0] != UNKNOWN_ZONE:
        return russian_zone(e164, str(zones[0]))
    return None
