"""The optional language model: drafts through an OpenAI-compatible endpoint (a local
server on loopback here), recorded, checked against the hard boundaries, never sent on
its own; the template whenever it is off, fails or crosses a boundary."""

from __future__ import annotations

import hashlib
import json
import socket
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tenure.agent import llm
from tenure.agent.drafts import Draft
from tenure.config import Settings
from tenure.models import AccountBrief, AgentAction, Message
from tests.agent.helpers import acting_mandate, company, load
from tests.agent.llm_server import chat_server

TEMPLATE = Draft("Your feedback", "Thank you for answering our survey.")
FACTS = {"account": "Acme", "recipient_first_name": "Ana", "facts": "NPS 4"}


def settings_for(url: str, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path, agent_llm_url=url, agent_llm_model="tiny-1", agent_llm_key="k-123"
    )


def test_the_model_drafts_and_what_it_was_sent_is_recorded(tmp_path: Path) -> None:
    with chat_server("Thanks, Ana. Could we talk this week about what went wrong?") as server:
        draft, record = llm.draft_text(settings_for(server.url, tmp_path), TEMPLATE, FACTS)
    assert draft == Draft(
        "Your feedback", "Thanks, Ana. Could we talk this week about what went wrong?"
    )
    assert record is not None
    sent = server.requests[0]
    assert sent["model"] == "tiny-1"
    assert server.headers[0]["Authorization"] == "Bearer k-123"
    assert record["used"] is True
    assert record["model"] == "tiny-1"
    assert record["prompt"] == sent["messages"]
    expected = json.dumps(sent["messages"], sort_keys=True, ensure_ascii=False)
    assert record["prompt_hash"] == hashlib.sha256(expected.encode()).hexdigest()
    assert record["tokens"] == {"prompt_tokens": 120, "completion_tokens": 40, "total_tokens": 160}
    # Only the allow-listed fields reach the model.
    assert (
        "account: Acme\nrecipient_first_name: Ana\nfacts: NPS 4" in sent["messages"][1]["content"]
    )


@pytest.mark.parametrize(
    "reply",
    ["We can offer you a 20% discount on renewal.", "Good news: the export is coming soon."],
)
def test_a_model_text_that_crosses_a_boundary_gives_the_template(
    tmp_path: Path, reply: str
) -> None:
    with chat_server(reply) as server:
        draft, record = llm.draft_text(settings_for(server.url, tmp_path), TEMPLATE, FACTS)
    assert draft == TEMPLATE
    assert record is not None
    assert record["used"] is False
    assert "the template was used" in record["refused"]


def test_no_model_or_a_dead_one_gives_the_template(tmp_path: Path) -> None:
    assert llm.draft_text(Settings(data_dir=tmp_path), TEMPLATE, FACTS) == (TEMPLATE, None)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    dead = settings_for(f"http://127.0.0.1:{port}/v1", tmp_path)
    draft, record = llm.draft_text(dead, TEMPLATE, FACTS)
    assert draft == TEMPLATE
    assert record is not None
    assert record["used"] is False
    assert "ConnectError" in record["error"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return company(tmp_path_factory.mktemp("agent-company"))


def test_a_model_draft_waits_for_a_person_even_when_sending_is_auto(
    cli, folder: Path, session: Session, tmp_path: Path
) -> None:
    load(cli, folder, date(2026, 7, 15), 2)
    mandate = acting_mandate(tmp_path, **{'send_message = "approve"': 'send_message = "auto"'})
    cli("agent", "mandate", "load", str(mandate))
    text = "Thank you for your honest answer. Could we take half an hour to go through it?"
    with chat_server(text) as server:
        env = {
            **cli.env,
            "TENURE_AGENT_LLM_URL": server.url,
            "TENURE_AGENT_LLM_MODEL": "tiny-1",
        }
        cli.env = env
        cli("agent", "run", "--as-of", "2026-07-15")
        cli("agent", "run", "--as-of", "2026-07-16")
    drafts = list(session.scalars(select(AgentAction).where(AgentAction.kind == "draft")))
    assert drafts
    for draft in drafts:
        assert draft.llm is not None
        assert draft.llm["used"] is True
        assert draft.llm["model"] == "tiny-1"
        assert draft.payload["body"] == text
        assert draft.status == "awaiting_approval"  # a model's text is never sent on its own
        message = session.get(Message, int(str(draft.message_ref).removeprefix("message:")))
        assert message is not None
        assert message.status == "pending_approval"
        assert text in message.text
    # The model also summarised the briefs it was shown.
    summaries = [b.summary for b in session.scalars(select(AccountBrief))]
    assert text in summaries
    assert any("stakeholders:" in r["messages"][1]["content"] for r in server.requests)
