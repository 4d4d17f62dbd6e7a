"""An optional language model behind any OpenAI-compatible chat completions endpoint
(settings agent_llm_url, agent_llm_model, agent_llm_key; off by default).

It only ever drafts: message text a person approves before it is sent, and an account
brief's summary. It sees allow-listed fields only (the caller builds the prompt from them);
what was sent, its hash, the model and the tokens are recorded with the action. Any failure
(no answer, an error, a text that crosses a hard boundary) falls back to the template.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from tenure.agent.boundaries import text_crossings
from tenure.agent.drafts import Draft
from tenure.config import Settings

SYSTEM = (
    "You draft short emails for a customer success manager. Write only the body, in plain "
    "text, without greeting or signature. State only the facts given. Never name a price, a "
    "discount or an amount of money, never promise a product change or a feature, never "
    "offer to close or answer a support ticket."
)


@dataclass(frozen=True)
class Completion:
    text: str
    record: dict[str, Any]


def enabled(settings: Settings) -> bool:
    return bool(settings.agent_llm_url)


def complete(settings: Settings, messages: list[dict[str, str]]) -> Completion:
    """Ask the model; the record says what was sent (and its hash), the model and tokens.
    Raises httpx errors and ValueError on an answer that is not a chat completion."""
    import httpx

    assert settings.agent_llm_url is not None
    body = {"model": settings.agent_llm_model, "messages": messages, "temperature": 0.2}
    prompt = json.dumps(messages, sort_keys=True, ensure_ascii=False)
    headers = (
        {"Authorization": f"Bearer {settings.agent_llm_key}"} if settings.agent_llm_key else {}
    )
    url = settings.agent_llm_url.rstrip("/") + "/chat/completions"
    response = httpx.post(url, json=body, headers=headers, timeout=settings.agent_llm_timeout)
    response.raise_for_status()
    answer = response.json()
    try:
        text = str(answer["choices"][0]["message"]["content"]).strip()
    except (KeyError, IndexError, TypeError):
        raise ValueError("the answer is not a chat completion") from None
    usage = answer.get("usage") or {}
    return Completion(
        text,
        {
            "model": answer.get("model") or settings.agent_llm_model,
            "url": url,
            "prompt": messages,
            "prompt_hash": hashlib.sha256(prompt.encode()).hexdigest(),
            "tokens": {
                k: usage.get(k) for k in ("prompt_tokens", "completion_tokens", "total_tokens")
            },
        },
    )


def draft_text(
    settings: Settings, template: Draft, facts: dict[str, Any]
) -> tuple[Draft, dict[str, Any] | None]:
    """The model's body for a draft, or the template's when the model is off, fails or
    writes something a hard boundary forbids. `facts` are the allow-listed fields."""
    if not enabled(settings):
        return template, None
    import httpx

    lines = "\n".join(f"{k}: {v}" for k, v in facts.items())
    messages = [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": f"Draft the email body from these facts only.\n{lines}"},
    ]
    try:
        completion = complete(settings, messages)
    except (httpx.HTTPError, ValueError) as error:
        return template, {"used": False, "error": f"{type(error).__name__}: {error}"[:500]}
    record = {**completion.record, "used": False}
    crossed = text_crossings(completion.text)
    if crossed:
        boundary, words = crossed[0]
        record["refused"] = f"{boundary}: {words!r}; the template was used"
        return template, record
    if not completion.text:
        record["refused"] = "empty answer; the template was used"
        return template, record
    record["used"] = True
    return Draft(template.subject, completion.text), record


def summary(settings: Settings, lines: list[str]) -> tuple[str | None, dict[str, Any] | None]:
    """A few sentences over a brief's lines, or None when the model is off or fails."""
    if not enabled(settings) or not lines:
        return None, None
    import httpx

    messages = [
        {
            "role": "system",
            "content": "Summarise this account brief for its customer success manager in "
            "at most three sentences, using only what it says.",
        },
        {"role": "user", "content": "\n".join(lines)},
    ]
    try:
        completion = complete(settings, messages)
    except (httpx.HTTPError, ValueError):
        return None, None
    return completion.text or None, completion.record
