"""Each CSM's daily digest through the outbox, and the daily run inside `tenure serve`."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tenure.agent.scheduler import next_run, run_day
from tenure.config import Settings
from tenure.db import Database
from tenure.models import AgentRun, Message
from tenure.warehouse import Warehouse
from tests.agent.helpers import acting_mandate, company, load

DAY = "2026-07-16"


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return company(tmp_path_factory.mktemp("agent-company"))


def test_the_digest_of_each_csm(cli, folder: Path, session: Session, tmp_path: Path) -> None:
    load(cli, folder, date(2026, 7, 16), 1)
    cli("agent", "mandate", "load", str(acting_mandate(tmp_path)))
    cli("agent", "run", "--as-of", DAY)
    shown = cli("agent", "digest", "--as-of", DAY, "--format", "json").json()
    assert isinstance(shown, list)
    assert shown
    assert session.scalar(select(Message).where(Message.source == "agent")) is not None
    assert all(m.audience == "client" for m in session.scalars(select(Message)))
    sent = cli("agent", "digest", "--as-of", DAY, "--send", "--format", "json").json()
    again = cli("agent", "digest", "--as-of", DAY, "--send", "--format", "json").json()
    assert [r["message_id"] for r in sent] == [r["message_id"] for r in again]  # once a day
    waiting = next(r for r in sent if r["awaiting_approval"])
    message = session.get(Message, waiting["message_id"])
    assert message is not None
    assert message.audience == "internal"
    assert message.status == "approved"
    assert message.to_email == waiting["csm_email"]
    assert "Awaiting your approval" in message.text
    assert "detractor:" in message.text
    assert f"/agent?day={DAY}" in message.text
    missing = cli("agent", "digest", "--csm", "nobody@example.com", ok=False)
    assert "no user with email 'nobody@example.com'" in missing.stderr


def test_the_schedule() -> None:
    at = datetime(2026, 7, 16, 5, 0, tzinfo=UTC)
    assert next_run(at, "06:30") == datetime(2026, 7, 16, 6, 30, tzinfo=UTC)
    assert next_run(at, "05:00") == datetime(2026, 7, 17, 5, 0, tzinfo=UTC)
    assert next_run(at, "04:59") == datetime(2026, 7, 17, 4, 59, tzinfo=UTC)
    with pytest.raises(ValueError, match="agent_schedule"):
        Settings(agent_schedule="25:00")


def test_the_scheduled_run(cli, folder: Path, settings: Settings, tmp_path: Path) -> None:
    load(cli, folder, date(2026, 7, 16), 1)
    cli("agent", "mandate", "load", str(acting_mandate(tmp_path)))
    database = Database(settings)
    try:
        new = run_day(database, Warehouse(settings), settings, date(2026, 7, 16))
        assert new > 0
        assert run_day(database, Warehouse(settings), settings, date(2026, 7, 16)) == 0
        with database.sessions() as session:
            runs = list(session.scalars(select(AgentRun)))
            assert [(r.day, r.scope) for r in runs] == [(date(2026, 7, 16), "*")]
            digests = session.scalars(
                select(Message).where(Message.audience == "internal", Message.source == "agent")
            ).all()
            assert digests
    finally:
        database.dispose()
