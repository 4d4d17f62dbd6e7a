"""The intake log: durable frames, torn tails cut, abandoned segments recovered."""

from __future__ import annotations

import os
import threading
import time

from tenure.usage import log
from tenure.usage.log import LogWriter, frame, read_frames, read_records


def record(n: int) -> dict[str, object]:
    return {
        "message_id": f"m{n}",
        "type": "track",
        "event": "x",
        "user_id": "u",
        "anonymous_id": None,
        "account_external_id": "acme",
        "timestamp": 1_700_000_000_000_000 + n,
        "properties": None,
        "received_at": 1_700_000_000_000_000,
    }


def test_concurrent_appends_all_land_in_order_of_their_frames(tmp_path):
    writer = LogWriter(tmp_path)
    threads = [
        threading.Thread(target=lambda i=i: writer.append(frame([record(i), record(i + 1000)])))
        for i in range(40)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    writer.close()
    segments = log.closed_segments(tmp_path)
    assert len(segments) == 1
    table = read_records(segments)
    assert sorted(table["message_id"].to_pylist()) == sorted(
        [f"m{i}" for i in range(40)] + [f"m{i + 1000}" for i in range(40)]
    )


def test_a_torn_frame_and_everything_after_it_is_cut(tmp_path):
    path = tmp_path / "0-1.seg"
    whole = frame([record(1)]) + frame([record(2)])
    path.write_bytes(whole + frame([record(3)])[:-5])
    payloads, end = read_frames(path)
    assert len(payloads) == 2
    assert end == len(whole)
    corrupt = bytearray(whole)
    corrupt[-3] ^= 0xFF  # a flipped byte inside the second frame's payload
    path.write_bytes(bytes(corrupt))
    assert len(read_frames(path)[0]) == 1


def test_a_dead_writers_open_segment_is_recovered_and_a_live_one_is_not(tmp_path):
    live = LogWriter(tmp_path)
    live.append(frame([record(1)]))
    dead = tmp_path / f"00000000000000000001-{os.getpid()}.open"
    dead.write_bytes(frame([record(2)]) + b"TNR1\x00\x00")
    old = time.time() - 60
    os.utime(dead, (old, old))
    for path in tmp_path.glob("*.open"):
        os.utime(path, (old, old))
    segments = log.closed_segments(tmp_path)
    assert [s.name for s in segments] == [f"00000000000000000001-{os.getpid()}.seg"]
    assert segments[0].read_bytes() == frame([record(2)])
    # The live writer keeps its segment, and its events are visible to readers meanwhile.
    assert len(list(tmp_path.glob("*.open"))) == 1
    assert read_records(log.all_segments(tmp_path))["message_id"].to_pylist() == ["m2", "m1"]
    live.close()
