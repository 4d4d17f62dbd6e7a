"""The outbox pages: the queue, compose, preview and edit, approve, send; and the
unsubscribe page every client email links to (no login: the signed token is the authority)."""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse
from markupsafe import Markup

from tenure.accounts.service import get_account
from tenure.audit.service import record_change
from tenure.kit.errors import TenureError
from tenure.messaging import schemas, service
from tenure.models import Role
from tenure.users.auth import require_can_write
from tenure.web.deps import (
    DbDep,
    IdentityDep,
    WriterDep,
    require_role,
    settings_of,
    today,
    warehouse_of,
)
from tenure.web.routing import WebRoute
from tenure.web.templating import render

router = APIRouter(route_class=WebRoute, include_in_schema=False)

QUEUE_STATES = ("draft", "pending_approval", "approved", "failed")


@router.get("/messages")
def messages_page(
    request: Request,
    db: DbDep,
    identity: IdentityDep,
    status: Annotated[str | None, Query()] = None,
    sent: Annotated[str | None, Query()] = None,
) -> Response:
    """The queue: a CSM's own messages and those for its accounts; managers see the team's."""
    states = [status] if status else None
    rows = service.list_messages(db, statuses=states, user=identity.user, limit=300)
    counts: dict[str, int] = {}
    for row in service.list_messages(db, user=identity.user, limit=5000):
        counts[row.status] = counts.get(row.status, 0) + 1
    return render(
        request,
        "messages.html",
        {
            "rows": rows,
            "status": status,
            "counts": counts,
            "states": service.STATUSES,
            "queue_states": QUEUE_STATES,
            "is_manager": identity.user.role in (Role.admin, Role.manager),
            "sent": sent,
        },
    )


@router.get("/messages/new")
def compose_page(
    request: Request,
    db: DbDep,
    _identity: IdentityDep,
    account: Annotated[str, Query()] = "",
    template: Annotated[str, Query()] = "generic_note",
) -> Response:
    templates = [t for t in service.list_templates(db) if t.template.audience == "client"]
    return render(
        request,
        "messages_new.html",
        {"templates": templates, "account": account, "template": template, "error": None},
    )


@router.post("/messages")
def compose(
    request: Request,
    db: DbDep,
    identity: WriterDep,
    template: Annotated[str, Form()],
    account: Annotated[str, Form()],
    contact: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "written by its CSM",
    variables: Annotated[str, Form()] = "",
) -> Response:
    """Draft from a template for one contact (or each contact) of an account."""
    target = get_account(db, account.strip())
    require_can_write(identity.user, target)
    try:
        extra = json.loads(variables) if variables.strip() else {}
    except ValueError as error:
        raise TenureError(f"variables: not JSON: {error}") from None
    if not isinstance(extra, dict):
        raise TenureError('variables: a JSON object, e.g. {"subject": "..."}')
    wanted = contact.strip().lower()
    contacts = [c for c in target.contacts if c.email and (not wanted or c.email.lower() == wanted)]
    if not contacts:
        raise TenureError(f"{target.external_id} has no contact {wanted or 'with an email'}")
    drafted = [
        service.draft_message(
            db,
            settings_of(request),
            account=target,
            contact=c,
            template=template,
            variables=extra,
            author=identity.user,
            reason=reason.strip() or "written by its CSM",
            warehouse=warehouse_of(request),
        )
        for c in contacts
    ]
    reads = [schemas.message_read(m) for m in drafted]
    record_change(
        db, identity.user, "message.draft", f"account:{target.external_id}", None, reads, via="web"
    )
    return RedirectResponse(f"/messages/{drafted[0].id}", 303)


@router.post("/messages/send")
async def send_now(request: Request, db: DbDep, identity: WriterDep) -> Response:
    """Send the approved messages now (managers), rather than at the next background round."""
    from tenure.messaging.sender import send_approved

    require_role(identity.user, Role.admin, Role.manager)
    report = await run_in_threadpool(
        send_approved, request.app.state.database, settings_of(request)
    )
    summary = report.summary()
    if report.limit_reached:
        summary += f"; daily limit reached, {report.limit_reached} wait for tomorrow"
    record_change(db, identity.user, "mail.send", "outbox", None, {"summary": summary}, via="web")
    return RedirectResponse(f"/messages?sent={quote(summary)}", 303)


@router.get("/messages/announce")
def announce_page(
    request: Request,
    db: DbDep,
    identity: IdentityDep,
    template: Annotated[str, Query()] = "qbr_invitation",
    where: Annotated[str, Query()] = "",
    contacts: Annotated[str, Query()] = "all",
) -> Response:
    """The announcement wizard: the filters, then the recipients and their count."""
    from tenure.messaging import announcements

    require_role(identity.user, Role.admin, Role.manager)
    found = None
    if where.strip() or request.query_params.get("preview"):
        filters = announcements.parse_filters(_lines(where))
        found = announcements.recipients(db, settings_of(request), filters, contacts, today())
    templates = [t for t in service.list_templates(db) if t.template.audience == "client"]
    return render(
        request,
        "messages_announce.html",
        {
            "templates": templates,
            "template": template,
            "where": where,
            "contacts": contacts,
            "found": found,
            "blocked": sum(1 for r in found or [] if r.suppressed),
        },
    )


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.replace(";", "\n").splitlines() if line.strip()]


@router.post("/messages/announce")
def announce(
    request: Request,
    db: DbDep,
    identity: WriterDep,
    template: Annotated[str, Form()],
    where: Annotated[str, Form()] = "",
    contacts: Annotated[str, Form()] = "all",
    reason: Annotated[str, Form()] = "announcement",
) -> Response:
    from tenure.messaging import announcements

    require_role(identity.user, Role.admin, Role.manager)
    drafted = announcements.announce(
        db,
        settings_of(request),
        template=template,
        filters=announcements.parse_filters(_lines(where)),
        role=contacts,
        author=identity.user,
        reason=reason.strip() or "announcement",
        as_of=today(),
        warehouse=warehouse_of(request),
    )
    batch = drafted[0].batch or ""
    after = {"batch": batch, "messages": len(drafted), "template": template, "where": where}
    record_change(db, identity.user, "message.announce", batch, None, after, via="web")
    return RedirectResponse(f"/messages?status=pending_approval&sent={quote(batch)}", 303)


@router.get("/messages/incident")
def incident_page(
    request: Request,
    db: DbDep,
    identity: IdentityDep,
    start: Annotated[str, Query(alias="from")] = "",
    end: Annotated[str, Query(alias="to")] = "",
    event: Annotated[str, Query()] = "",
    what: Annotated[str, Query()] = "events",
) -> Response:
    """Who an incident touched: their own counts, ranked by ARR, and the brief."""
    from tenure.messaging import incident_service as incidents

    require_role(identity.user, Role.admin, Role.manager)
    affected, brief = None, ""
    if start and end:
        incident = _incident(start, end, event, what, "")
        settings = settings_of(request)
        affected = incidents.find_affected(db, warehouse_of(request), settings, incident)
        brief = service.brief_markdown(incident, affected, settings.base_currency)
    return render(
        request,
        "messages_incident.html",
        {
            "start": start,
            "end": end,
            "event": event,
            "what": what,
            "affected": affected,
            "brief": brief,
        },
    )


def _incident(start: str, end: str, event: str, what: str, summary: str) -> Any:
    from tenure.messaging import incident_service as incidents

    return service.Incident(
        start=incidents.parse_instant(start, "from"),
        end=incidents.parse_instant(end, "to"),
        what=what.strip() or "events",
        summary=summary.strip() or "our service was disrupted",
        event=event.strip() or None,
    )


@router.post("/messages/incident")
def incident_notify(
    request: Request,
    db: DbDep,
    identity: WriterDep,
    start: Annotated[str, Form(alias="from")],
    end: Annotated[str, Form(alias="to")],
    event: Annotated[str, Form()] = "",
    what: Annotated[str, Form()] = "events",
    summary: Annotated[str, Form()] = "",
    detail: Annotated[str, Form()] = "",
) -> Response:
    from tenure.messaging import incident_service as incidents

    require_role(identity.user, Role.admin, Role.manager)
    incident = _incident(start, end, event, what, summary)
    drafts = incidents.draft_incident(
        db, warehouse_of(request), settings_of(request), incident, identity.user, detail
    )
    after = {
        "batch": incident.key,
        "clients": len(drafts.affected),
        "notices": len(drafts.notices),
        "brief": drafts.brief_message.id if drafts.brief_message else None,
    }
    record_change(db, identity.user, "message.incident", incident.key, None, after, via="web")
    summary_text = f"{len(drafts.notices)} notices drafted for {len(drafts.affected)} clients"
    return RedirectResponse(f"/messages?status=pending_approval&sent={quote(summary_text)}", 303)


@router.get("/messages/{message_id}")
def message_page(request: Request, db: DbDep, identity: IdentityDep, message_id: int) -> Response:
    import nh3

    message = service.get_message(db, message_id)
    user = identity.user
    service.require_visible(user, message)
    own_client = message.audience == "client" and message.author_id == user.id
    return render(
        request,
        "message.html",
        {
            "m": message,
            # The preview shows the HTML as the recipient's client would, minus anything
            # active: values in it were escaped when rendered, and this cleans edits too.
            "preview": Markup(nh3.clean(message.html)),  # noqa: S704 (cleaned just now)
            "editable": message.status in service.EDITABLE and user.role is not Role.viewer,
            "can_approve": message.status in service.EDITABLE
            and user.role is not Role.viewer
            and (not own_client or settings_of(request).mail_self_approval),
            "can_cancel": message.status in ("draft", "pending_approval", "approved", "failed")
            and user.role is not Role.viewer,
        },
    )


@router.post("/messages/{message_id}")
def edit(
    db: DbDep,
    identity: WriterDep,
    message_id: int,
    subject: Annotated[str, Form()],
    text: Annotated[str, Form()],
    html: Annotated[str, Form()],
) -> Response:
    message = service.get_message(db, message_id)
    before = schemas.message_text(message)
    service.edit_message(db, message, identity.user, subject=subject, text=text, html=html)
    after = schemas.message_text(message)
    record_change(
        db, identity.user, "message.edit", f"message:{message_id}", before, after, via="web"
    )
    return RedirectResponse(f"/messages/{message_id}", 303)


def _act(db: DbDep, identity: WriterDep, message_id: int, action: str, apply: Any) -> Response:
    """One state change of a message, audited with the message before and after."""
    message = service.get_message(db, message_id)
    before = schemas.message_read(message)
    apply(message)
    after = schemas.message_read(message)
    record_change(db, identity.user, action, f"message:{message_id}", before, after, via="web")
    return RedirectResponse(f"/messages/{message_id}", 303)


@router.post("/messages/{message_id}/approve")
def approve(request: Request, db: DbDep, identity: WriterDep, message_id: int) -> Response:
    settings = settings_of(request)
    return _act(
        db,
        identity,
        message_id,
        "message.approve",
        lambda m: service.approve(db, settings, m, identity.user),
    )


@router.post("/messages/{message_id}/cancel")
def cancel(db: DbDep, identity: WriterDep, message_id: int) -> Response:
    return _act(
        db, identity, message_id, "message.cancel", lambda m: service.cancel(db, m, identity.user)
    )


# -- links in client emails: no login ------------------------------------------------------
@router.get("/reports/value/{token}")
def value_report_page(request: Request, db: DbDep, token: str) -> Response:
    """A free client's value report, from the signed link in its email."""
    from datetime import date

    from fastapi.responses import HTMLResponse

    from tenure.reports.service import value_page, value_reports

    settings = settings_of(request)
    external_id, start, end = service.read_report_token(settings, token)
    found = value_reports(
        db,
        warehouse_of(request),
        settings,
        date.fromisoformat(start),
        date.fromisoformat(end),
        tier=None,
        accounts=[external_id],
    )
    if not found:
        raise TenureError(f"no clicks on {external_id}'s links from {start} to {end}", 404)
    # A page of its own (the email links to it): its one style block is inline, and it runs
    # no script at all.
    policy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"
    return HTMLResponse(value_page(found[0]), headers={"Content-Security-Policy": policy})


@router.get("/unsubscribe/{token}")
def unsubscribe_page(request: Request, db: DbDep, token: str) -> Response:
    email, _ = service.read_unsubscribe_token(settings_of(request), token)
    done = service.suppression_of(db, email) is not None
    return render(request, "unsubscribe.html", {"email": email, "token": token, "done": done})


@router.post("/unsubscribe/{token}")
def unsubscribe(request: Request, db: DbDep, token: str) -> Response:
    """The button on the page, and the one-click POST of RFC 8058 (mail clients send
    `List-Unsubscribe=One-Click`): both opt the address out at once."""
    email, message_id = service.read_unsubscribe_token(settings_of(request), token)
    before = service.suppression_of(db, email)
    row = service.suppress(db, email, "unsubscribed", f"unsubscribe link of {message_id}", email)
    if before is None:
        record_change(
            db,
            None,
            "contact.unsubscribe",
            f"email:{row.email}",
            None,
            schemas.suppression_read(row),
            via="web",
        )
    return render(request, "unsubscribe.html", {"email": email, "token": token, "done": True})
