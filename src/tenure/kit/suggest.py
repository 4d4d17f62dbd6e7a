""" "Did you mean": the closest known names to a mistyped one."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from difflib import SequenceMatcher, get_close_matches


def did_you_mean(wanted: str, known: Iterable[str] | Mapping[str, str], n: int = 3) -> str:
    """ " (did you mean 'a', 'b'?)" for the closest of `known` (compared without case), or ""
    when none is close. With a mapping, each candidate maps to the name to suggest (e.g. an
    account's name to its external id)."""
    choices = dict(known) if isinstance(known, Mapping) else {k: k for k in known}
    folded: dict[str, str] = {}
    for candidate, shown in choices.items():
        folded.setdefault(candidate.casefold(), shown)
    typed = wanted.strip().casefold()
    close = get_close_matches(typed, list(folded), n=n, cutoff=0.6)
    if close:
        # Only those about as close as the best: "ana@x.org" suggests ana@x.com, not val@x.com.
        best = SequenceMatcher(None, typed, close[0]).ratio()
        close = [c for c in close if SequenceMatcher(None, typed, c).ratio() >= best - 0.05]
    names = list(dict.fromkeys(folded[c] for c in close))
    return f" (did you mean {', '.join(repr(name) for name in names)}?)" if names else ""
