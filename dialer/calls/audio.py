"""An uploaded recording on its way in: spooled to a file, measured, and checked to be audio.

The body is never held in memory: it is written chunk by chunk to a spool file while
its SHA-256 and size are counted, and refused as soon as it passes the limit. What it
is comes from its first bytes, not from what the client says, and a WAV or Ogg file
cut short (its header promises more than arrived, or its last page is not the last)
is refused too.
"""

import hashlib
import os
import struct
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from dialer.base.errors import NotAudio, RecordingTooLarge, TruncatedAudio

MAX_RECORDING_BYTES = 200 * 1024 * 1024

WAV, OGG, MPEG = "audio/wav", "audio/ogg", "audio/mpeg"
EXTENSIONS = {WAV: "wav", OGG: "ogg", MPEG: "mp3"}
# The names clients give these types besides the standard ones.
DECLARED = {
    "audio/wav": WAV,
    "audio/wave": WAV,
    "audio/x-wav": WAV,
    "audio/vnd.wave": WAV,
    "audio/ogg": OGG,
    "audio/opus": OGG,
    "application/ogg": OGG,
    "audio/mpeg": MPEG,
    "audio/mp3": MPEG,
    "application/octet-stream": None,
}


def sniff(head: bytes) -> str | None:
    """The audio type the first bytes show, or None."""
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return WAV
    if head[:4] == b"OggS":
        return OGG
    if head[:3] == b"ID3":
        return MPEG
    # An MPEG audio frame header: 11 sync bits, then a layer that is not "reserved".
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0 and head[1] & 0x06:
        return MPEG
    return None


def declared_type(content_type: str | None) -> str | None:
    """The type the client declared, normalised; NotAudio for a type that is not audio."""
    name = (content_type or "application/octet-stream").split(";")[0].strip().lower()
    if name not in DECLARED:
        raise NotAudio(f"{name} is not accepted: send audio/wav, audio/ogg or audio/mpeg.")
    return DECLARED[name]


@dataclass
class Spooled:
    """A whole upload in a spool file: where, what, how big, and its digest."""

    path: Path
    content_type: str
    size: int
    sha256: str

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.content_type]

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


async def spool(
    chunks: AsyncIterator[bytes],
    folder: Path,
    declared: str | None,
    *,
    expected_size: int | None = None,
    limit: int = MAX_RECORDING_BYTES,
) -> Spooled:
    """Write the chunks to a new file in the folder and check them; nothing is left on error."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}.part"
    digest = hashlib.sha256()
    size = 0
    head = b""
    try:
        with path.open("wb") as out:
            async for chunk in chunks:
                size += len(chunk)
                if size > limit:
                    raise RecordingTooLarge(f"A recording may be at most {limit} bytes.")
                if len(head) < 64:
                    head += chunk[: 64 - len(head)]
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if expected_size is not None and size != expected_size:
            raise TruncatedAudio(
                f"The body ended after {size} of the {expected_size} bytes announced."
            )
        content_type = _checked_type(head, declared)
        _check_whole(path, content_type, size)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return Spooled(path, content_type, size, digest.hexdigest())


def _checked_type(head: bytes, declared: str | None) -> str:
    found = sniff(head)
    if found is None:
        raise NotAudio()
    if declared is not None and declared != found:
        raise NotAudio(f"The body is {found}, not the {declared} its Content-Type says.")
    return found


def _check_whole(path: Path, content_type: str, size: int) -> None:
    if content_type == WAV:
        _check_wav(path, size)
    elif content_type == OGG:
        _check_ogg(path, size)


def _check_wav(path: Path, size: int) -> None:
    with path.open("rb") as wav:
        header = wav.read(12)
    (riff_size,) = struct.unpack("<I", header[4:8])
    # Writers that stream (and never come back to the header) leave 0 or 0xFFFFFFFF.
    if riff_size not in (0, 0xFFFFFFFF) and riff_size + 8 > size:
        raise TruncatedAudio(f"The WAV header promises {riff_size + 8} bytes; {size} arrived.")


def _check_ogg(path: Path, size: int) -> None:
    """The last Ogg page must be complete and marked end-of-stream."""
    tail_size = min(size, 128 * 1024)
    with path.open("rb") as ogg:
        ogg.seek(size - tail_size)
        tail = ogg.read(tail_size)
    start = tail.rfind(b"OggS")
    if start < 0 or len(tail) - start < 27:
        raise TruncatedAudio("The Ogg stream does not end with a whole page.")
    flags, segments = tail[start + 5], tail[start + 26]
    lacing = tail[start + 27 : start + 27 + segments]
    page_end = start + 27 + segments + sum(lacing)
    if len(lacing) < segments or page_end != len(tail) or not flags & 0x04:
        raise TruncatedAudio("The Ogg stream is cut short: its last page is missing.")
