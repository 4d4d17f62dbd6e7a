"""REST API of the outbox (`/api/v1/messages`, `/api/v1/suppressions`) and the background
sender that `tenure serve` runs."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Query, Request

from tenure.accounts.service import get_account
from tenure.audit.service import record_change
from tenure.config import Settings
from tenure.db import Database, SessionDep
from tenure.kit.errors import Forbidden, NotFound
from tenure.kit.path_bounds import PathId
from tenure.kit.periodic import Periodic, running
from tenure.messaging import schemas, service
from tenure.models import Account, Contact, Message, Role, User
from tenure.users.auth import CurrentUser, require_can_write, require_manager

logger = logging.getLogger(__name__)


class BackgroundSender:
    """Sends approved messages every mail_send_seconds inside `tenure serve` (one thread;
    other senders, such as `tenure mail send`, can run at the same time: claims are atomic)."""

    def __init__(self, settings: Settings, database: Database):
        self.settings = settings
        self.database = database
        self.worker = Periodic("tenure-mail", lambda: settings.mail_send_seconds, self.send_once)

    def send_once(self) -> None:
        from tenure.messaging.handoffs import deliver_webhooks
        from tenure.messaging.sender import send_approved

        try:
            deliver_webhooks(self.database, self.settings)
            report = send_approved(self.database, self.settings)
            if report.limit_reached:
                logger.warning(
                    "daily sending limit of %s reached: %s approved messages wait",
                    self.settings.mail_daily_limit,
                    report.limit_reached,
                )
        except Exception:  # the messages stay approved: the next round sends them
            logger.exception("sending the outbox failed; will retry")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    sender = BackgroundSender(app.state.settings, app.state.database)
    app.state.mail_sender = sender
    async with running(sender.worker):
        yield


router = APIRouter(tags=["messages"], lifespan=lifespan)


def _contact(account: Account, email: str) -> Contact:
    for contact in account.contacts:
        if (contact.email or "").lower() == email.lower():
            return contact
    raise NotFound(f"{account.external_id} has no contact {email!r}")


@router.get("/messages", response_model=list[schemas.MessageRead])
def list_messages(
    session: SessionDep,
    user: CurrentUser,
    status: Annotated[list[str] | None, Query(description="Only these states.")] = None,
    account: Annotated[str | None, Query(description="Only this account.")] = None,
    batch: str | None = None,
) -> list[schemas.MessageRead]:
    """The outbox, newest first: a CSM's own messages and those for its accounts; managers
    and admins see the team's queue."""
    target = get_account(session, account) if account else None
    rows = service.list_messages(session, statuses=status, account=target, user=user, batch=batch)
    return [schemas.message_read(m) for m in rows]


@router.get("/messages/{message_id}", response_model=schemas.MessageText)
def show_message(session: SessionDep, user: CurrentUser, message_id: PathId) -> schemas.MessageText:
    """One message with its text and HTML."""
    message = service.get_message(session, message_id)
    service.require_visible(user, message)
    return schemas.message_text(message)


@router.post("/messages", response_model=list[schemas.MessageRead])
def draft_messages(
    request: Request, session: SessionDep, user: CurrentUser, data: schemas.MessageDraft
) -> list[schemas.MessageRead]:
    """Draft from a template for an account's contact (or each contact with an email)."""
    account = get_account(session, data.account_external_id)
    require_can_write(user, account)
    state = request.app.state
    contacts = (
        [_contact(account, data.contact_email)]
        if data.contact_email
        else [c for c in account.contacts if c.email]
    )
    drafted = [
        service.draft_message(
            session,
            state.settings,
            account=account,
            contact=contact,
            template=data.template,
            variables=data.variables,
            author=user,
            reason=data.reason,
            warehouse=state.warehouse,
        )
        for contact in contacts
    ]
    reads = [schemas.message_read(m) for m in drafted]
    record_change(session, user, "message.draft", f"account:{account.external_id}", None, reads)
    return reads


@router.patch("/messages/{message_id}", response_model=schemas.MessageText)
def edit_message(
    session: SessionDep, user: CurrentUser, message_id: PathId, data: schemas.MessageUpdate
) -> schemas.MessageText:
    """Change a draft's subject, text or HTML (the HTML is sanitised)."""
    message = service.get_message(session, message_id)
    before = schemas.message_text(message)
    service.edit_message(session, message, user, **data.model_dump(exclude_none=True))
    after = schemas.message_text(message)
    record_change(session, user, "message.edit", f"message:{message_id}", before, after)
    return after


def _act(
    session: SessionDep, user: User, message_id: int, action: str, apply: Callable[[Message], Any]
) -> schemas.MessageRead:
    """One state change of a message, audited with the message before and after."""
    message = service.get_message(session, message_id)
    before = schemas.message_read(message)
    apply(message)
    after = schemas.message_read(message)
    record_change(session, user, action, f"message:{message_id}", before, after)
    return after


@router.post("/messages/{message_id}/approve", response_model=schemas.MessageRead)
def approve_message(
    request: Request, session: SessionDep, user: CurrentUser, message_id: PathId
) -> schemas.MessageRead:
    """Approve for sending; the author of a client message cannot approve it."""
    settings = request.app.state.settings
    return _act(
        session,
        user,
        message_id,
        "message.approve",
        lambda m: service.approve(session, settings, m, user),
    )


@router.post("/messages/{message_id}/cancel", response_model=schemas.MessageRead)
def cancel_message(
    session: SessionDep, user: CurrentUser, message_id: PathId
) -> schemas.MessageRead:
    """Cancel a message not sent yet."""
    return _act(
        session, user, message_id, "message.cancel", lambda m: service.cancel(session, m, user)
    )


@router.post("/suppressions", response_model=schemas.SuppressionRead)
def add_suppression(
    session: SessionDep, user: CurrentUser, data: schemas.SuppressionCreate
) -> schemas.SuppressionRead:
    """Opt an address out: Tenure sends it no client message again."""
    if user.role is Role.viewer:
        raise Forbidden("a viewer cannot opt contacts out")
    before = service.suppression_of(session, data.email)
    was = schemas.suppression_read(before) if before else None
    row = service.suppress(session, data.email, data.reason, data.note, user.email)
    after = schemas.suppression_read(row)
    record_change(session, user, "contact.opt_out", f"email:{row.email}", was, after)
    return after


@router.delete("/suppressions/{email}", response_model=schemas.SuppressionRead)
def remove_suppression(
    session: SessionDep, user: CurrentUser, email: str
) -> schemas.SuppressionRead:
    """Opt an address back in (managers and admins: only when the person asked)."""
    require_manager(user)
    row = service.suppression_of(session, email)
    if row is None:
        raise NotFound(f"{email} is not on the suppression list")
    before = schemas.suppression_read(row)
    service.unsuppress(session, email)
    after = {"email": before.email, "suppressed": False}
    record_change(session, user, "contact.opt_in", f"email:{before.email}", before, after)
    return before
