"""The survey pages a client opens from the email, without logging in: the question with its
score links, the answer recorded from a one-click link, and a form to change the score or add
a comment. A forged, expired, used or closed link gets a clear page, never an error trace."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from tenure.audit.service import record_change
from tenure.kit.dates import utc_now
from tenure.kit.errors import TenureError
from tenure.models import SurveyRecipient
from tenure.surveys import service
from tenure.surveys.schemas import AnswerEdit
from tenure.web.deps import DbDep, IdentityDep, settings_of
from tenure.web.routing import WebRoute
from tenure.web.templating import render

router = APIRouter(route_class=WebRoute, include_in_schema=False)


def _refused(request: Request, error: TenureError) -> Response:
    db = getattr(request.state, "db", None)
    if db is not None:
        db.rollback()  # nothing of a refused answer is kept
    reason = error.reason if isinstance(error, service.SurveyRefused) else "invalid"
    return render(
        request,
        "survey_refused.html",
        {"reason": reason, "message": error.message},
        status=error.status,
    )


def _page(
    request: Request,
    recipient: SurveyRecipient,
    *,
    token: str | None = None,
    edit: str | None = None,
    saved: bool = False,
) -> Response:
    campaign = recipient.campaign
    response = recipient.response
    low, high = service.LABELS[campaign.kind]
    return render(
        request,
        "survey.html",
        {
            "campaign": campaign,
            "account_name": recipient.account.name,
            "scores": list(service.scale(campaign.kind)),
            "low_label": low,
            "high_label": high,
            "token": token,
            "edit_token": edit,
            "score": response.score if response else None,
            "comment": (response.comment if response else None) or "",
            "follow_up_answer": recipient.follow_up_answer or "",
            "saved": saved,
        },
    )


def _audit(db: DbDep, recipient: SurveyRecipient, action: str) -> None:
    response = recipient.response
    record_change(
        db,
        None,
        action,
        f"account:{recipient.account.external_id}",
        None,
        {
            "campaign": recipient.campaign.name,
            "contact_email": recipient.email,
            "score": response.score if response else None,
            "comment": response.comment if response else None,
        },
        via="web",
    )


@router.get("/s/{token}")
def survey_link(request: Request, db: DbDep, token: str, score: str | None = None) -> Response:
    """Without a score: the question. With one (the email's one-click links): the answer."""
    settings = settings_of(request)
    now = utc_now()
    try:
        if score is None:
            recipient = service.landing(db, settings, token, now)
            return _page(request, recipient, token=token)
        try:
            value = int(score)
        except ValueError:
            raise TenureError(f"score {score!r}: not a whole number", 422) from None
        answered = service.answer(db, settings, token, value, now)
    except TenureError as error:
        return _refused(request, error)
    _audit(db, answered.recipient, "survey.answer")
    return _page(request, answered.recipient, edit=answered.edit_token, saved=True)


@router.post("/s/answer")
def survey_edit(
    request: Request,
    db: DbDep,
    token: Annotated[str, Form()],
    score: Annotated[str, Form()] = "",
    comment: Annotated[str, Form()] = "",
    follow_up_answer: Annotated[str, Form()] = "",
) -> Response:
    """The answer page's form: a changed score, a comment, the follow-up question's answer."""
    settings = settings_of(request)
    try:
        try:
            value = int(score) if score.strip() else None
        except ValueError:
            raise TenureError(f"score {score!r}: not a whole number", 422) from None
        data = AnswerEdit(score=value, comment=comment, follow_up_answer=follow_up_answer)
        answered = service.edit(db, settings, token, data, utc_now())
    except TenureError as error:
        return _refused(request, error)
    _audit(db, answered.recipient, "survey.edit")
    return _page(request, answered.recipient, edit=answered.edit_token, saved=True)


@router.get("/surveys")
def surveys_page(
    request: Request, db: DbDep, _identity: IdentityDep, by: str = "account"
) -> Response:
    """Every campaign with its response rate and scores, and the rates of one campaign per
    account or segment (`?campaign=NAME&by=segment`)."""
    if by not in ("account", "segment"):
        raise TenureError(f"by: {by!r}: account or segment", 422)
    campaigns = [service.campaign_read(db, c) for c in service.list_campaigns(db)]
    chosen_name = request.query_params.get("campaign") or (
        campaigns[-1].name if campaigns else None
    )
    rows = []
    if chosen_name:
        chosen = service.get_campaign(db, chosen_name)
        rows = service.response_rates(service.recipient_rows(db, chosen), by)
    return render(
        request,
        "surveys.html",
        {"campaigns": campaigns, "chosen": chosen_name, "by": by, "rows": rows},
    )
