"""The pure parts: dot-stuffing of the SMTP text, the incident ranking and brief, the PNG."""

from __future__ import annotations

import re
import struct
import zlib
from datetime import UTC, datetime

from tenure.messaging.incidents import Affected, Incident, brief_markdown, ranked
from tenure.messaging.sender import _dot_stuffed
from tenure.reports.png import bar_chart_png

AT = datetime(2026, 11, 20, 14, 5, tzinfo=UTC)


def test_a_line_that_starts_with_a_dot_is_stuffed_and_the_text_ends_with_a_lone_dot() -> None:
    assert _dot_stuffed(b"a\n.b\n..c\r\nd") == b"a\r\n..b\r\n...c\r\nd\r\n.\r\n"


def _affected(external_id: str, arr: float, tier: str, count: int, name: str = "") -> Affected:
    return Affected(external_id, name or external_id, tier, arr, "USD", None, count, 1, AT, AT)


def test_clients_rank_by_arr_then_tier_then_their_count() -> None:
    order = ranked(
        [
            _affected("free-big", 0, "free", 900),
            _affected("trial", 0, "trial", 5),
            _affected("small", 1000, "paid", 50),
            _affected("large", 9000, "paid", 1),
            _affected("free-small", 0, "free", 3),
        ]
    )
    assert [a.account_external_id for a in order] == [
        "large",
        "small",
        "trial",
        "free-big",
        "free-small",
    ]


def test_the_brief_keeps_its_table_whole_whatever_the_names() -> None:
    incident = Incident(AT, AT.replace(minute=40), "redirects", "redirects were slow")
    text = brief_markdown(incident, [_affected("a", 500, "paid", 7, name="Pipe | Co\nLtd")], "USD")
    row = next(line for line in text.splitlines() if line.startswith("| 1 |"))
    assert "Pipe \\| Co Ltd" in row
    cells = re.split(r"(?<!\\)\|", row)[1:-1]  # split on the pipes that are not escaped
    assert len(cells) == 8
    assert "- ARR at risk: 500 USD" in text


def test_the_chart_is_a_png_of_the_asked_size() -> None:
    data = bar_chart_png([1, 5, 0, 3], width=40, height=20)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (40, 20)
    start = data.index(b"IDAT") + 4
    length = struct.unpack(">I", data[start - 8 : start - 4])[0]
    raw = zlib.decompress(data[start : start + length])
    assert len(raw) == height * (1 + 3 * width)
