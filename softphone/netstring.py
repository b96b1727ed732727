"""Netstrings, the framing of baresip's ctrl_tcp: `<length>:<bytes>,` around each JSON message."""

import json
from typing import Any

# A ctrl_tcp message is a few hundred bytes; anything near this is a stream gone wrong.
MAX_LENGTH = 1 << 20
_MAX_DIGITS = len(str(MAX_LENGTH))


class NetstringError(ValueError):
    """The stream is not netstrings: the connection must be dropped."""


def encode(message: dict[str, Any]) -> bytes:
    """One JSON message as a netstring."""
    payload = json.dumps(message, separators=(",", ":")).encode()
    return b"%d:%s," % (len(payload), payload)


class Decoder:
    """Cuts a byte stream into JSON messages, whatever the chunks it arrives in."""

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, chunk: bytes) -> list[dict[str, Any]]:
        """Add bytes; return every message now complete, in order."""
        self._buffer += chunk
        messages = []
        while (message := self._next()) is not None:
            messages.append(message)
        return messages

    def _next(self) -> dict[str, Any] | None:
        head, colon, rest = self._buffer.partition(b":")
        if not colon:
            if head and (not head.isdigit() or len(head) > _MAX_DIGITS):
                raise NetstringError(f"not a netstring length: {head[:20]!r}")
            return None
        if not head.isdigit() or int(head) > MAX_LENGTH:
            raise NetstringError(f"not a netstring length: {head[:20]!r}")
        length = int(head)
        if len(rest) < length + 1:
            return None
        payload, comma, self._buffer = rest[:length], rest[length : length + 1], rest[length + 1 :]
        if comma != b",":
            raise NetstringError("a netstring does not end with a comma")
        try:
            message = json.loads(payload)
        except ValueError as error:
            raise NetstringError(f"not JSON: {payload[:40]!r}") from error
        if not isinstance(message, dict):
            raise NetstringError("a message is not a JSON object")
        return message
