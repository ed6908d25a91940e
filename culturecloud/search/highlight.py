"""Highlighted snippets: the text is escaped first, then the query words are wrapped in <mark>.

Matching happens on the normalized text (traditional → simplified, NFKC, lower case), so
京劇 in a document is marked for the query 京剧, but the original characters are shown.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .segmentation import normalize

ELLIPSIS = "…"


def _normalized_with_map(text: str) -> tuple[str, list[int]]:
    """The normalized text and, for each of its characters, the index in `text`."""
    whole = normalize(text)
    if len(whole) == len(text):
        return whole, list(range(len(text)))
    chars: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        n = normalize(ch) if not ch.isspace() else ch
        chars.append(n)
        index.extend([i] * len(n))
    return "".join(chars), index


def find_spans(text: str, words: Iterable[str]) -> list[tuple[int, int]]:
    """Non-overlapping (start, end) spans of `text` where any of `words` occurs, longest first."""
    words = sorted({w for w in (normalize(w) for w in words) if w}, key=len, reverse=True)
    if not text or not words:
        return []
    norm, index = _normalized_with_map(text)
    taken = [False] * len(norm)
    spans: list[tuple[int, int]] = []
    for word in words:
        start = norm.find(word)
        while start != -1:
            end = start + len(word)
            if not any(taken[start:end]):
                for i in range(start, end):
                    taken[i] = True
                spans.append((index[start], index[end - 1] + 1))
            start = norm.find(word, end)
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:  # touching spans become one mark
        if merged and merged[-1][1] == start:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _render(text: str, spans: list[tuple[int, int]], start: int, end: int) -> str:
    out: list[str] = []
    pos = start
    for s, e in spans:
        if e <= start or s >= end:
            continue
        s, e = max(s, start), min(e, end)
        out.append(escape(text[pos:s]))
        out.append(f"<mark>{escape(text[s:e])}</mark>")
        pos = e
    out.append(escape(text[pos:end]))
    return "".join(out)


def mark(text: str, words: Iterable[str]) -> SafeString:
    """All of `text`, escaped, with every occurrence of `words` in <mark>."""
    return mark_safe(_render(text, find_spans(text, words), 0, len(text)))  # noqa: S308


def snippet(text: str, words: Iterable[str], *, length: int = 120) -> SafeString:
    """About `length` characters of `text` around the first occurrence of `words`
    (the start of the text when none occurs), escaped, occurrences in <mark>."""
    text = " ".join(text.split())
    if not text:
        return mark_safe("")
    spans = find_spans(text, words)
    if spans:
        first = spans[0][0]
        start = max(0, first - length // 4)
        # do not cut a Latin word in two
        while (
            0 < start < first
            and unicodedata.category(text[start - 1])[0] == "L"
            and (text[start - 1].isascii())
        ):
            start -= 1
    else:
        start = 0
    end = min(len(text), start + length)
    html = _render(text, spans, start, end)
    if start > 0:
        html = ELLIPSIS + html
    if end < len(text):
        html += ELLIPSIS
    return mark_safe(html)  # noqa: S308
