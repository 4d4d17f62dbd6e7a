"""A survey campaign sent to the demo company's sponsors: the emails reach a real SMTP
server, following a one-click link (a real HTTP request to a real server) records the score,
which then shows in `tenure kpis` (NPS and response rate) and in the next health computation;
a detractor's answer makes a follow-up task for the account's CSM; a forged, reused or
expired link is refused with a clear page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from tenure.db import Database
from tenure.health.service import snapshot_store
from tenure.health.snapshots import snapshots
from tenure.kit.dates import utc_today
from tenure.models import Account, Contact, Contract, SurveyRecipient, SurveyResponse, Task
from tenure.surveys import tokens
from tenure.warehouse import Warehouse
from tests.surveys.world import SECRET, demo_world, edit_token, score_links


def _sponsors(database: Database) -> dict[str, str]:
    """Email -> account external id of every sponsor of an account with an active contract."""
    today = utc_today()
    with database.sessions() as session:
        active = select(Contract.account_id).where(
            Contract.start_date <= today, Contract.end_date > today
        )
        rows = session.execute(
            select(Contact.email, Account.external_id)
            .join(Account, Contact.account_id == Account.id)
            .where(Contact.is_sponsor.is_(True), Contact.email.is_not(None))
            .where(Account.id.in_(active))
        )
        return dict(rows.tuples().all())


def _nps_measure(settings, account: str) -> float | None:
    history = snapshots(
        snapshot_store(Warehouse(settings)).history(account, utc_today(), utc_today())
    )
    assert history, f"no health snapshot of {account} today"
    found = [m.value for m in history[-1].measures if m.metric == "nps_latest"]
    assert found, "the scorecard has no nps_latest measure"
    return found[0]


@pytest.mark.timeout(600)
def test_a_campaign_to_the_demo_sponsors_from_email_to_kpis_and_health(settings, tmp_path: Path):
    with demo_world(settings, tmp_path) as world:
        cli, smtp = world.cli, world.smtp
        database = Database(world.settings)
        try:
            sponsors = _sponsors(database)
            assert len(sponsors) >= 5
            cli(
                "survey",
                "create",
                "nps-sponsors",
                "--kind",
                "nps",
                "--role",
                "sponsor",
                "--follow-up",
                "What should we do better?",
                "--by",
                "ops@enterprise.example",
            )
            cli("survey", "send", "nps-sponsors", "--now")

            # Every sponsor of an active account got one email, with its own score links.
            smtp.wait_for(len(sponsors))
            received = {r.rcpt_tos[0]: r.email for r in smtp.received}
            assert sorted(received) == sorted(sponsors)
            for email in received.values():
                assert sorted(score_links(email)) == list(range(11))
                assert email["List-Unsubscribe"]
            detractor, promoter = sorted(sponsors)[:2]
            account = sponsors[detractor]

            with database.sessions() as session:
                owner = session.scalar(select(Account).where(Account.external_id == account)).owner
                assert owner is not None
                csm = owner.email
            cli("health", "compute", "--as-of", str(utc_today()))
            nps_before = _nps_measure(world.settings, account)

            with httpx.Client(timeout=20) as http:
                link = score_links(received[detractor])[3]
                page = http.get(link)
                assert page.status_code == 200, page.text
                assert "your score of <strong>3</strong> is recorded" in page.text
                # The page lets the contact add a comment (and the follow-up answer).
                saved = http.post(
                    f"{world.url}/s/answer",
                    data={
                        "token": edit_token(page.text),
                        "score": "3",
                        "comment": "Reports have been slow for weeks",
                        "follow_up_answer": "Faster reports",
                    },
                )
                assert saved.status_code == 200, saved.text
                assert "Reports have been slow for weeks" in saved.text

                # The same link again: used up, a clear page, nothing changes.
                again = http.get(score_links(received[detractor])[10])
                assert again.status_code == 409
                assert "already been used" in again.text

                # Forged: the signature altered, or a token Tenure never signed.
                token = link.split("/s/", 1)[1].split("?", 1)[0]
                for forged in (token[:-2] + ("AA" if token[-2:] != "AA" else "BB"), "abc"):
                    refused = http.get(f"{world.url}/s/{forged}?score=9")
                    assert refused.status_code == 400
                    assert "not valid" in refused.text
                # Expired: properly signed, but past its expiry.
                with database.sessions() as session:
                    other = session.scalar(
                        select(SurveyRecipient).where(SurveyRecipient.email == promoter)
                    )
                    assert other is not None
                    stale = tokens.sign(
                        SECRET.encode(),
                        tokens.ANSWER,
                        other.id,
                        other.wave,
                        datetime.now(UTC) - timedelta(minutes=1),
                        other.nonce,
                    )
                expired = http.get(f"{world.url}/s/{stale}?score=9")
                assert expired.status_code == 410
                assert "expired" in expired.text
                # A score off the scale is refused too, and the link stays usable.
                off = http.get(score_links(received[promoter])[10].replace("=10", "=11"))
                assert off.status_code == 422
                answered = http.get(score_links(received[promoter])[10])
                assert answered.status_code == 200

            # One answer per recipient, in the survey store the KPIs and health read.
            with database.sessions() as session:
                rows = session.scalars(
                    select(SurveyResponse).where(SurveyResponse.external_id.like("tenure-survey-%"))
                ).all()
                assert len(rows) == len(sponsors)
                scores = {r.contact_email: r.score for r in rows if r.score is not None}
                assert scores == {detractor: 3, promoter: 10}
                comment = next(r.comment for r in rows if r.contact_email == detractor)
                assert comment == "Reports have been slow for weeks"

                # The detractor's answer is a task for the account's CSM, due within a day.
                task = session.scalar(select(Task).where(Task.activity == "detractor_follow_up"))
                assert task is not None
                assert task.owner.email == csm
                assert task.account is not None
                assert task.account.external_id == account
                assert task.deadline == utc_today() + timedelta(days=1)
                assert "Reports have been slow for weeks" in task.description
                assert (
                    session.scalar(
                        select(Task).where(Task.activity == "detractor_follow_up").offset(1)
                    )
                    is None
                )

            today = str(utc_today())
            kpis = cli("kpis", "--from", today, "--to", today, "--format", "json").json()
            row = kpis["kpis"][0] if isinstance(kpis, dict) else kpis[0]
            assert row["nps"] == pytest.approx(0.0)  # one promoter, one detractor
            assert row["nps_responses"] == 2
            assert row["nps_invited"] == len(sponsors)
            assert row["nps_response_rate"] == pytest.approx(2 / len(sponsors))

            # The next health computation reads the answer: the detractor's score replaces
            # that sponsor's earlier answer in the account's NPS measure.
            cli("health", "compute", "--as-of", today)
            nps_after = _nps_measure(world.settings, account)
            with database.sessions() as session:
                latest: dict[str, tuple[datetime, int]] = {}
                since = datetime.now(UTC) - timedelta(days=366)
                for r in session.scalars(
                    select(SurveyResponse)
                    .join(Account, SurveyResponse.account_id == Account.id)
                    .where(Account.external_id == account, SurveyResponse.kind == "nps")
                    .where(SurveyResponse.score.is_not(None), SurveyResponse.responded_at >= since)
                ):
                    who = r.contact_email or r.external_id
                    assert r.responded_at is not None
                    assert r.score is not None
                    if who not in latest or r.responded_at > latest[who][0]:
                        latest[who] = (r.responded_at, r.score)
            assert latest[detractor][1] == 3
            expected = sum(s for _, s in latest.values()) / len(latest)
            assert nps_after == pytest.approx(expected)
            assert nps_after != nps_before

            status = cli("survey", "status", "nps-sponsors", "--format", "json").json()
            assert status[0]["delivered"] == len(sponsors)
            assert status[0]["answered"] == 2
            assert status[0]["response_rate"] == pytest.approx(2 / len(sponsors))
        finally:
            database.dispose()
