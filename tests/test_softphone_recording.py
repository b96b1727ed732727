"""`cascade softphone` records each call with baresip's sndfile and the attempt gets its audio.

Two real baresip processes: the operator's records (sndfile), the customer's answers
by itself and speaks a known WAV file (aufile). The recording that arrives at the
attempt must last as long as the talk time and carry each side on its own channel.
"""

import math
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.base.models import Attempt
from tests.baresip_live import Baresip, Connector, free_ports
from tests.builders import PASSWORD
from tests.builders_recordings import wav
from tests.live import LiveServer, start_server
from tests.test_softphone_baresip import PHONES, Floor, read, seed

VOICE_HZ, OPERATOR_HZ = 300.0, 440.0  # the customer's WAV; the operator's ausine tone
TALK_BYTES = 8000 * 2 * 3  # three seconds of the operator's side, as sndfile writes it


@pytest.fixture
def stop_later() -> Iterator[Callable[[Any], Any]]:
    started: list[Any] = []
    yield lambda thing: started.append(thing) or thing
    for thing in reversed(started):
        thing.stop()


@dataclass(frozen=True)
class Setup:
    floor: Floor
    server: LiveServer
    phone: Connector
    recorded: Path


def set_up(database_url: str, tmp_path: Path, stop_later: Callable[[Any], Any]) -> Setup:
    floor = seed(database_url, PHONES[:1])
    sip_a, sip_b, ctrl, http = free_ports(2, 2, 1, 1)
    voice = tmp_path / "voice.wav"
    voice.write_bytes(wav(60.0, tone=VOICE_HZ))
    recorded = tmp_path / "sndfile"
    recorded.mkdir()
    customer = Baresip.prepare(
        "customer_voice", tmp_path / "customer", PHONES[:1], sip_b,
        settings={"audio_source": f"aufile,{voice}"},
    )  # fmt: skip
    stop_later(customer).start()
    operator = Baresip.prepare(
        "operator_recording", tmp_path / "operator", ["operator"], sip_a, ctrl, http,
        settings={"snd_path": str(recorded)},
    )  # fmt: skip
    stop_later(operator).start()
    env = {"CASCADE_RECORDINGS_URL": str(tmp_path / "store")}
    server = stop_later(start_server(database_url, env=env))
    phone = stop_later(
        Connector(
            [
                "--service", server.url, "--login", floor.operator, "--password", PASSWORD,
                "--ctrl-tcp", f"127.0.0.1:{ctrl}", "--clock-in", "--retry", "0.1",
                "--spool", str(tmp_path / "spool"), "--recordings", str(recorded),
                "--dial-uri", f"sip:{{number}}@127.0.0.1:{sip_b}",
                "--disposition", "suggested", "--otherwise", "wrong_number", "--calls", "1",
            ]
        )
    )  # fmt: skip
    return Setup(floor, server, phone, recorded)


def talked(recorded: Path, timeout: float = 30.0) -> None:
    """Wait until sndfile has written three seconds of the call (polling its file)."""
    deadline = time.monotonic() + timeout
    while not any(p.stat().st_size > TALK_BYTES for p in recorded.glob("dump-*-enc.wav")):
        assert time.monotonic() < deadline, "sndfile wrote no three seconds of the call"
        time.sleep(0.05)


def the_attempt(database_url: str) -> Attempt:
    async def work(session: AsyncSession) -> Attempt:
        [attempt] = list(await session.scalars(select(Attempt)))
        return attempt

    return read(database_url, work)


def tone_power(samples: list[float], rate: int, hz: float) -> float:
    """Goertzel: how much of the samples is a tone of hz."""
    coefficient = 2 * math.cos(2 * math.pi * hz / rate)
    before = earlier = 0.0
    for sample in samples:
        before, earlier = sample + coefficient * before - earlier, before
    return before * before + earlier * earlier - coefficient * before * earlier


def heard(setup: Setup, attempt_id: uuid.UUID, path: Path) -> tuple[float, list[list[float]]]:
    """The attempt's recording as the supervisor plays it: seconds, and each channel's samples."""
    headers = {"Authorization": f"Bearer {setup.floor.supervisor_token}"}
    answer = httpx.get(
        f"{setup.server.url}/api/v1/attempts/{attempt_id}/recording", headers=headers
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "audio/ogg"
    path.write_bytes(answer.content)
    channels: list[list[float]] = [[], []]
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        assert stream.codec_context.name == "opus"
        rate = stream.rate
        planar = av.AudioResampler(format="fltp", layout="stereo", rate=rate)
        for decoded in container.decode(audio=0):
            for frame in planar.resample(decoded):
                for n, plane in enumerate(frame.planes[:2]):
                    channels[n].extend(memoryview(bytes(plane)).cast("f")[: frame.samples])
    return len(channels[0]) / rate, channels


def check(setup: Setup, database_url: str, tmp_path: Path) -> None:
    attempt = the_attempt(database_url)
    assert attempt.answered_at is not None
    assert attempt.hangup_at is not None
    talk = (attempt.hangup_at - attempt.answered_at).total_seconds()
    seconds, (operator, customer) = heard(setup, attempt.id, tmp_path / "heard.ogg")
    assert abs(seconds - talk) <= 1.0, (seconds, talk)
    assert seconds >= 3.0
    # Each side on its own channel: the operator's tone left, the customer's voice right.
    middle = slice(48000, 96000)
    assert tone_power(operator[middle], 48000, OPERATOR_HZ) > 10 * tone_power(
        operator[middle], 48000, VOICE_HZ
    )
    assert tone_power(customer[middle], 48000, VOICE_HZ) > 10 * tone_power(
        customer[middle], 48000, OPERATOR_HZ
    )
    assert list(setup.recorded.glob("*.wav")) == []  # baresip's files are gone
    assert list((tmp_path / "spool").glob("recordings-*/*")) == []


def test_a_call_is_recorded_and_its_audio_arrives_at_the_attempt(
    database_url: str, tmp_path: Path, stop_later: Callable[[Any], Any]
) -> None:
    setup = set_up(database_url, tmp_path, stop_later)
    setup.phone.expect("answered")
    talked(setup.recorded)
    setup.phone.type()  # Enter: the operator hangs up
    setup.phone.expect("hangup: Connection reset by user")
    setup.phone.expect_each("recording:", "outcome: wrong_number")
    setup.phone.expect("recording of attempt")
    assert setup.phone.exit_code() == 0
    check(setup, database_url, tmp_path)


def test_a_call_recorded_while_the_service_is_down_arrives_when_it_is_back(
    database_url: str, tmp_path: Path, stop_later: Callable[[Any], Any]
) -> None:
    setup = set_up(database_url, tmp_path, stop_later)
    setup.phone.expect("answered")
    setup.server.stop()  # the service goes away in the middle of the call
    talked(setup.recorded)
    setup.phone.type()
    setup.phone.expect("hangup: Connection reset by user")
    setup.phone.expect("recording:")
    assert "service: unreachable" in "".join(setup.phone.said)
    server = stop_later(
        start_server(
            database_url,
            port=setup.server.port,
            env={"CASCADE_RECORDINGS_URL": str(tmp_path / "store")},
        )
    )
    setup.phone.expect("outcome: wrong_number")
    setup.phone.expect("recording of attempt")
    assert setup.phone.exit_code() == 0
    check(Setup(setup.floor, server, setup.phone, setup.recorded), database_url, tmp_path)
