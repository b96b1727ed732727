"""Phone numbers: E.164 normalisation, the number's time zone, the keyed hash."""

import hashlib
import hmac

import phonenumbers
from phonenumbers import timezone as phone_timezone

UNKNOWN_ZONE = "Etc/Unknown"


def normalise(raw: str, region: str) -> str | None:
    """The number in E.164, or None when it is not a valid number."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def zone_of(e164: str) -> str | None:
    """The number's time zone when the numbering plan gives exactly one."""
    zones = phone_timezone.time_zones_for_number(phonenumbers.parse(e164, None))
    if len(zones) == 1 and zones[0] != UNKNOWN_ZONE:
        return str(zones[0])
    return None


def phone_hash(key: str, e164: str) -> str:
    """A keyed hash of the number: what suppression remembers after erasure."""
    return hmac.new(key.encode(), e164.encode(), hashlib.sha256).hexdigest()
