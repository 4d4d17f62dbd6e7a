"""The pure parts: signed tokens, scales and detractors, response rates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tenure.models import SurveyKind
from tenure.surveys import core, tokens

KEY = b"k" * 32
NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)
LATER = NOW + timedelta(days=30)


def test_a_token_reads_back_its_claims():
    token = tokens.sign(KEY, tokens.ANSWER, 42, 2, LATER, "n0nce_-x")
    claims = tokens.read(KEY, token, tokens.ANSWER, NOW)
    assert (claims.recipient_id, claims.wave, claims.nonce) == (42, 2, "n0nce_-x")
    assert claims.expires_at == LATER


@given(st.integers(0, 200), st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789"))
def test_any_altered_character_is_refused_as_forged(position, replacement):
    token = tokens.sign(KEY, tokens.ANSWER, 7, 1, LATER, "abc")
    position %= len(token)
    if token[position] == replacement:
        return
    altered = token[:position] + replacement + token[position + 1 :]
    with pytest.raises(tokens.TokenRefused) as refused:
        tokens.read(KEY, altered, tokens.ANSWER, NOW)
    assert refused.value.reason == "forged"


def test_another_key_another_kind_or_rubbish_is_forged():
    token = tokens.sign(KEY, tokens.ANSWER, 7, 1, LATER, "abc")
    for key, text, kind in (
        (b"other", token, tokens.ANSWER),
        (KEY, token, tokens.EDIT),  # an email link is not the page's edit token
        (KEY, "", tokens.ANSWER),
        (KEY, "....", tokens.ANSWER),
        (KEY, "a.x.1.2.n." + token.rsplit(".", 1)[1], tokens.ANSWER),
    ):
        with pytest.raises(tokens.TokenRefused) as refused:
            tokens.read(key, text, kind, NOW)
        assert refused.value.reason == "forged"


def test_an_expired_token_is_refused_as_expired():
    token = tokens.sign(KEY, tokens.ANSWER, 7, 1, NOW, "abc")
    with pytest.raises(tokens.TokenRefused) as refused:
        tokens.read(KEY, token, tokens.ANSWER, NOW)
    assert refused.value.reason == "expired"
    assert tokens.read(KEY, token, tokens.ANSWER, NOW - timedelta(seconds=1)).recipient_id == 7


@pytest.mark.parametrize(
    ("kind", "score", "follow"),
    [
        (SurveyKind.nps, 6, True),
        (SurveyKind.nps, 7, False),
        (SurveyKind.nps, 0, True),
        (SurveyKind.csat, 2, True),
        (SurveyKind.csat, 3, False),
        (SurveyKind.ces, 1, True),
        (SurveyKind.ces, 5, False),
    ],
)
def test_who_gets_a_follow_up(kind, score, follow):
    assert core.needs_follow_up(kind, score) is follow


def test_scores_off_the_scale_are_named():
    assert core.check_score(SurveyKind.nps, 10) is None
    assert core.check_score(SurveyKind.nps, 11) == "a NPS score is a whole number from 0 to 10"
    assert core.check_score(SurveyKind.csat, 0) is not None
    assert list(core.scale(SurveyKind.ces)) == list(range(1, 8))


def test_response_rate_is_answered_over_delivered_per_group():
    rows = [
        core.RecipientRow("q4", "nps", "acme", "enterprise", True, 10),
        core.RecipientRow("q4", "nps", "acme", "enterprise", True, None),
        core.RecipientRow("q4", "nps", "acme", "enterprise", False, None),  # bounced
        core.RecipientRow("q4", "nps", "globex", "enterprise", True, 3),
        core.RecipientRow("q4", "nps", "initech", None, True, None),
    ]
    by_account = {r["account"]: r for r in core.response_rates(rows, "account")}
    assert by_account["acme"]["invited"] == 3
    assert by_account["acme"]["delivered"] == 2
    assert by_account["acme"]["response_rate"] == pytest.approx(0.5)
    assert by_account["globex"]["nps"] == pytest.approx(-100.0)
    assert by_account["initech"]["response_rate"] == 0.0
    by_segment = {r["segment"]: r for r in core.response_rates(rows, "segment")}
    assert by_segment["enterprise"]["response_rate"] == pytest.approx(2 / 3)
    assert by_segment["enterprise"]["nps"] == pytest.approx(0.0)
    assert by_segment["(none)"]["delivered"] == 1
    (campaign,) = core.response_rates(rows, "campaign")
    assert campaign["response_rate"] == pytest.approx(2 / 4)
