"""The connector's parts that need no process: framing, parsing, the outbox, backoff, a call."""

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from softphone.api import Lease, Refusal
from softphone.backoff import Backoff
from softphone.calls import Call
from softphone.ctrl_tcp import PhoneEvent, Response, parse
from softphone.netstring import Decoder, NetstringError, encode
from softphone.outbox import Outbox, Record

RINGING = {
    "event": True, "type": "CALL_RINGING", "class": "call", "direction": "outgoing",
    "accountaor": "sip:operator@127.0.0.1:5060", "peeruri": "sip:customer@127.0.0.1:5070",
    "id": "3a2de810281c1c98", "param": "sip:customer@127.0.0.1:5070",
}  # fmt: skip


def test_messages_come_out_whole_whatever_chunks_the_stream_arrives_in() -> None:
    stream = encode(RINGING) + encode({"response": True, "ok": True, "token": "t1"})
    decoder = Decoder()
    out = [
        message for byte in range(len(stream)) for message in decoder.feed(stream[byte : byte + 1])
    ]
    assert out == [RINGING, {"response": True, "ok": True, "token": "t1"}]
    assert Decoder().feed(stream) == out


@pytest.mark.parametrize(
    "garbage", [b"HTTP/1.1 200 OK\r\n", b"5:hello;", b"99999999999:", b"2:[],"]
)
def test_a_stream_that_is_not_netstrings_of_json_objects_is_refused(garbage: bytes) -> None:
    with pytest.raises(NetstringError):
        Decoder().feed(garbage)


def test_only_ringing_answered_and_closed_move_a_call_and_responses_keep_their_token() -> None:
    assert parse(RINGING) == PhoneEvent(
        "ringing", "3a2de810281c1c98", "outgoing", RINGING["peeruri"], RINGING["param"]
    )
    answered = parse({**RINGING, "type": "CALL_ESTABLISHED"})
    assert isinstance(answered, PhoneEvent)
    assert answered.kind == "answered"
    closed = parse({**RINGING, "type": "CALL_CLOSED", "param": "486 Rejected"})
    assert closed == PhoneEvent(
        "hangup", RINGING["id"], "outgoing", RINGING["peeruri"], "486 Rejected"
    )
    for ignored in ("CALL_LOCAL_SDP", "CALL_REMOTE_SDP", "CALL_RTPESTAB", "CALL_RTCP"):
        assert parse({**RINGING, "type": ignored}) is None
    answer = {"response": True, "ok": False, "data": "no call", "token": "t9"}
    assert parse(answer) == Response(False, "no call", "t9")


def record(n: int) -> Record:
    return {
        "event": "ringing",
        "call_id": f"c{n}",
        "number": "+74951234567",
        "at": f"2026-01-01T10:00:0{n}+00:00",
    }


def test_the_outbox_keeps_events_in_order_across_restarts_until_each_is_taken(
    tmp_path: Path,
) -> None:
    path = tmp_path / "spool" / "outbox.jsonl"
    box = Outbox(path)
    for n in range(3):
        box.append(record(n))
    assert [Outbox(path).head()] == [record(0)]
    box.remove_head()
    again = Outbox(path)
    assert len(again) == 2
    assert again.head() == record(1)
    again.remove_head()
    again.remove_head()
    assert len(Outbox(path)) == 0
    assert path.read_text() == ""


def test_a_line_torn_by_a_crash_is_dropped_and_later_events_stay_readable(tmp_path: Path) -> None:
    path = tmp_path / "outbox.jsonl"
    Outbox(path).append(record(0))
    with path.open("a") as file:
        file.write('{"event": "hang')  # the process died in the middle of this append
    box = Outbox(path)
    box.append(record(1))
    assert [Outbox(path).head(), len(Outbox(path))] == [record(0), 2]


def test_an_event_the_service_refuses_is_set_aside_with_the_reason(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "outbox.jsonl")
    box.append(record(0))
    box.append(record(1))
    aside = box.set_aside(record(0), "422 invalid_input")
    assert box.head() == record(1)
    assert '"why": "422 invalid_input"' in aside.read_text()


def test_backoff_doubles_up_to_its_ceiling_and_starts_over_after_a_success() -> None:
    slept: list[float] = []

    async def sleep(delay: float) -> None:
        slept.append(delay)

    async def run() -> None:
        backoff = Backoff(first=0.1, most=0.5, sleep=sleep)
        for _ in range(4):
            await backoff.wait()
        backoff.reset()
        await backoff.wait()

    asyncio.run(run())
    assert slept == [0.1, 0.2, 0.4, 0.5, 0.1]


def lease() -> Lease:
    return Lease("l1", "+74951234567", None, None, datetime.now(UTC), {}, [], [])


def event(kind: str, call_id: str = "c1", param: str | None = None) -> PhoneEvent:
    return PhoneEvent(kind, call_id, "outgoing", "sip:x@y", param)


def test_a_call_reports_dialing_with_the_first_call_id_and_each_event_once() -> None:
    reported: list[Record] = []
    dialed = datetime(2026, 1, 1, 10, tzinfo=UTC)
    call = Call(lease(), "sip:x@y", dialed, reported.append)
    later = [dialed + timedelta(seconds=n) for n in range(1, 6)]
    assert call.take(event("ringing"), later[0])
    assert call.take(event("ringing"), later[1])  # a repeated 180 changes nothing
    assert not call.take(event("answered", call_id="other"), later[2])
    assert not call.take(PhoneEvent("ringing", "c9", "incoming", None, None), later[2])
    assert call.take(event("hangup", param="486 Rejected"), later[3])
    assert [(r["event"], r["at"], r.get("reason")) for r in reported] == [
        ("dialing", dialed.isoformat(), None),
        ("ringing", later[0].isoformat(), None),
        ("hangup", later[3].isoformat(), "486 Rejected"),
    ]
    assert {r["call_id"] for r in reported} == {"c1"}
    assert (call.ended, call.answered, call.reason) == (True, False, "486 Rejected")


def test_a_call_whose_softphone_is_lost_before_it_has_an_id_still_ends() -> None:
    reported: list[Record] = []
    now = datetime(2026, 1, 1, 10, tzinfo=UTC)
    call = Call(lease(), "sip:x@y", now, reported.append)
    call.lose("softphone lost: closed by baresip", now)
    assert [r["event"] for r in reported] == ["dialing", "hangup"]
    assert all("call_id" not in r for r in reported)
    assert call.ended


def test_a_refusal_says_its_reason_and_counts() -> None:
    paused = Refusal("dialer_paused", "Dialing is paused.", {"reason": "supervisor"})
    assert paused.describe() == "dialer_paused (supervisor): Dialing is paused."
    empty = Refusal(
        "queue_empty",
        "Nothing to call.",
        {"why": {"retry_not_due": 2, "exhausted": 0}, "retry_after": 90},
    )
    assert empty.describe() == "queue_empty (retry_not_due 2): Nothing to call."
    assert empty.retry_after == 90
