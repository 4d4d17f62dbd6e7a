"""Messaging: the one outbox every sender in Tenure uses (a CSM, announcements, incident
notices, value reports, surveys, the agent), SMTP sending, consent and hand-offs.

States of a message (`tenure.models.Message.status`)::

    draft -> pending_approval -> approved -> sending -> sent
      \\______________________/      \\           \\-> failed | bounced
              -> cancelled            \\-> suppressed (the address opted out or bounced)

The API other domains build on (all in `tenure.messaging.service` unless said; none commits,
except the sender, which owns its units of work):

- `draft_message(session, settings, *, account, template, contact=None, to_email=None,
  variables=None, author=None, reason, source="csm", batch=None, idempotency_key=None,
  images=None, signal=None, warehouse=None, as_of=None, status="draft") -> Message`:
  renders a template (name or `TemplateVersion`) for one recipient. Standard variables
  (`account`, `contact`, `csm`, `sender`, `health`, `usage`, `signal`, `today`,
  `unsubscribe_url`) are filled in; a template's declared extra variables come in
  `variables`. `source` names the sender (csm, announcement, incident, report, survey,
  agent, handoff); `reason` says why, shown on the timeline. A suppressed client address
  yields a message in state `suppressed`; an `idempotency_key` seen before returns the
  message drafted then. `status="pending_approval"` submits at once.
- `submit(session, message, user)`, `approve(session, settings, message, approver)`,
  `cancel(session, message, user)`, `edit_message(session, message, editor, subject=,
  text=, html=)`: the author of a client message cannot approve it (setting
  `mail_self_approval`); `approver=None` (Tenure itself) may approve internal messages and
  client messages without an author.
- `suppress(session, email, reason, note=None, by=None)` (reason unsubscribed, hard_bounce
  or manual), `unsuppress(session, email)`, `suppression_of(session, email)`.
- `get_template(session, name)`, `load_template(session, source, filename, loaded_by)`,
  `list_templates(session)`: stored, versioned templates over the shipped library
  (`tenure/messaging/library/*.toml`); `tenure.messaging.templates.parse` refuses an unknown
  variable as `FILE:LINE: name: why`.
- `list_messages(session, statuses=, account=, user=, batch=)`, `get_message(session, id)`.
- `tenure.messaging.sender.send_approved(database, settings, limit=None) -> SendReport`:
  sends what is approved and due, each message exactly once (see that module), within
  `mail_daily_limit`; `tenure serve` runs it every `mail_send_seconds`.
- Every sent message with an account becomes a timeline entry of kind `message`, with its
  `contact_id` and `message_id` (the outbox row, whose text is at /messages/ID).
"""
