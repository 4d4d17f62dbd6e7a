"""The email itself (pure): headers, the text and HTML parts, inline images, the footer.

Client emails carry `List-Unsubscribe` (an https link and nothing else: the signed token in
it is the whole authority) and `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058),
and the same link in the footer of both parts.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr
from html import escape


@dataclass(frozen=True)
class Envelope:
    message_id: str
    from_address: str
    to_email: str
    to_name: str | None
    reply_to: str | None
    subject: str
    text: str
    html: str
    date: datetime
    unsubscribe_url: str | None = None
    # content id -> base64 PNG, referenced as cid:ID from the HTML part.
    images: dict[str, str] = field(default_factory=dict)


def footer_text(unsubscribe_url: str) -> str:
    return f"\n--\nTo receive no more emails from us: {unsubscribe_url}\n"


def footer_html(unsubscribe_url: str) -> str:
    link = escape(unsubscribe_url, quote=True)
    return (
        '<p style="color:#666;font-size:12px;border-top:1px solid #ddd;padding-top:8px">'
        f'<a href="{link}">Unsubscribe</a>: receive no more emails from us.</p>'
    )


def html_document(body: str, title: str) -> str:
    return (
        '<!doctype html>\n<html><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title></head>\n"
        '<body style="font-family:Arial,Helvetica,sans-serif;font-size:14px;line-height:1.5;'
        f'color:#222;max-width:640px">\n{body}</body></html>\n'
    )


def build(envelope: Envelope) -> EmailMessage:
    message = EmailMessage()
    message["Message-ID"] = envelope.message_id
    message["Date"] = format_datetime(envelope.date)
    message["From"] = envelope.from_address
    message["To"] = formataddr((envelope.to_name or "", envelope.to_email))
    if envelope.reply_to:
        message["Reply-To"] = envelope.reply_to
    message["Subject"] = envelope.subject
    text, html = envelope.text, envelope.html
    if envelope.unsubscribe_url:
        message["List-Unsubscribe"] = f"<{envelope.unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        text += footer_text(envelope.unsubscribe_url)
        html += footer_html(envelope.unsubscribe_url)
    message.set_content(text)
    message.add_alternative(html_document(html, envelope.subject), subtype="html")
    if envelope.images:
        html_part = message.get_body(("html",))
        assert html_part is not None  # added just above
        for cid, data in envelope.images.items():
            html_part.add_related(
                base64.b64decode(data), maintype="image", subtype="png", cid=f"<{cid}>"
            )
    return message


def domain_of(address: str) -> str:
    """The domain of the From address, for Message-IDs (localhost when it has none)."""
    email = parseaddr(address)[1]
    return email.rsplit("@", 1)[1] if "@" in email else "localhost"
