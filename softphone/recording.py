"""A call's recording: baresip's two mono WAV files, joined as two channels, as Opus in Ogg.

baresip's `sndfile` module writes each call as `dump-<time>-enc.wav` (what this side
sent: the operator) and `dump-<time>-dec.wav` (what it received: the customer) into
its `snd_path`. After the call the connector takes the newest pair written since it
dialed, joins them (operator left, customer right: a reviewer hears who said what),
encodes them with libopus through PyAV (FFmpeg, shipped inside PyAV's wheel) at
24 kbit/s, about 180 KB a minute against 1.9 MB of WAV, and removes the WAV files.
"""

from __future__ import annotations

import array
import struct
import time
import wave
from dataclasses import dataclass
from pathlib import Path

import av

BIT_RATE = 24_000
# baresip closes the files a moment after it reports the hang-up; on a loaded machine (a
# test run's browsers and servers on two cores) that moment took longer than 3 s. The wait
# runs beside the operator choosing the outcome, so a generous one delays nothing.
CLOSE_WAIT = 15.0


@dataclass(frozen=True)
class Pair:
    operator: Path
    customer: Path

    def remove(self) -> None:
        self.operator.unlink(missing_ok=True)
        self.customer.unlink(missing_ok=True)


def find_pair(folder: Path, since: float) -> Pair | None:
    """The newest pair of files sndfile wrote to since the instant (a wall-clock time)."""
    written = [p for p in folder.glob("dump-*-enc.wav") if p.stat().st_mtime >= since - 1.0]
    for operator in sorted(written, key=lambda p: p.stat().st_mtime, reverse=True):
        customer = operator.with_name(operator.name.removesuffix("-enc.wav") + "-dec.wav")
        if customer.exists():
            return Pair(operator, customer)
    return None


def closed(path: Path) -> bool:
    """Whether baresip has finished the WAV file: its header counts every byte."""
    with path.open("rb") as file:
        header = file.read(12)
    if len(header) < 12:
        return False
    (riff_size,) = struct.unpack("<I", header[4:8])
    return bool(riff_size + 8 == path.stat().st_size)


def wait_closed(pair: Pair, patience: float = CLOSE_WAIT) -> bool:
    """Wait until both files are finished, or for `patience` seconds at most."""
    deadline = time.monotonic() + patience
    while not (closed(pair.operator) and closed(pair.customer)):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _samples(path: Path) -> tuple[int, array.array[int]]:
    with wave.open(str(path)) as file:
        if file.getnchannels() != 1 or file.getsampwidth() != 2:
            raise ValueError(f"{path} is not 16-bit mono")
        return file.getframerate(), array.array("h", file.readframes(file.getnframes()))


def encode(pair: Pair, target: Path) -> float:
    """Join the pair as the two channels of one Ogg Opus file; its length in seconds."""
    rate, left = _samples(pair.operator)
    customer_rate, right = _samples(pair.customer)
    if customer_rate != rate:
        raise ValueError("the two sides were recorded at different rates")
    length = max(len(left), len(right))
    left.extend([0] * (length - len(left)))
    right.extend([0] * (length - len(right)))
    stereo = array.array("h", bytes(4 * length))
    stereo[0::2], stereo[1::2] = left, right
    partial = target.with_suffix(".partial")
    with av.open(str(partial), "w", format="ogg") as container:
        stream = container.add_stream("libopus", rate=rate, layout="stereo")
        stream.bit_rate = BIT_RATE
        frame = av.AudioFrame(format="s16", layout="stereo", samples=length)
        frame.sample_rate = rate
        frame.pts = 0
        frame.planes[0].update(stereo.tobytes())
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            container.mux(packet)
    partial.replace(target)
    return length / rate


def record(folder: Path, since: float, target: Path) -> float | None:
    """Encode the call recorded since the instant into target and remove its WAV files.

    None when baresip recorded nothing (a call never answered has no audio); ValueError when
    it has not finished its files within `CLOSE_WAIT`.
    """
    pair = find_pair(folder, since)
    if pair is None:
        return None
    if not wait_closed(pair):
        raise ValueError(f"baresip did not finish {pair.operator.name} within {CLOSE_WAIT:.0f} s")
    seconds = encode(pair, target)
    pair.remove()
    return seconds
