"""Chinese text → search terms, the same way for documents and queries.

1. `normalize`: NFKC (full-width → half-width), OpenCC t2s (traditional → simplified, so 京劇
   finds 京剧), lower case.
2. rjieba (jieba-rs; 20× faster than jieba with identical tokens, bench/segmentation.py)
   with the domain dictionary `dict/culture.txt` added word by word (`Jieba.add_word`), so
   非遗传承人 and 广场舞 stay whole.
3. Documents are cut in search mode (a long word also yields the dictionary words inside
   it: 京剧院 → 京剧, 剧院, 京剧院); queries in precise mode.
4. Titles and subjects (tags) also index every CJK character on its own (unigrams), so a
   one-character query (舞) finds 广场舞 in a title; bodies do not (that doubled the GIN
   index, docs/decisions/0013-search-chinese-segmentation.md).
5. Punctuation and a short list of function words (的, 了, 和 …) are dropped.

A query word that the dictionary does not know (a name the HMM glued together, or two
characters that are no word) also matches as its characters: (钱岗 | 钱 & 岗).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import opencc
import rjieba

DICT_PATH = Path(__file__).resolve().parent / "dict" / "culture.txt"
MAX_TERM_LENGTH = 32
MAX_QUERY_LENGTH = 100
MAX_QUERY_TERMS = 8

STOPWORDS = frozenset(
    {
        "的",
        "了",
        "和",
        "与",
        "及",
        "或",
        "在",
        "是",
        "也",
        "就",
        "都",
        "而",
        "之",
        "其",
        "这",
        "那",
        "着",
        "把",
        "被",
        "对",
        "从",
        "向",
        "于",
        "以",
        "为",
        "等",
        "啊",
        "吧",
        "呢",
        "吗",
        "个",
        "很",
        "并",
        "且",
        "将",
        "由",
        "及其",
        "以及",
        "一个",
        "一些",
        "我们",
        "你们",
        "他们",
        "它们",
        "这个",
        "那个",
        "这些",
        "那些",
    }
)


def is_cjk(ch: str) -> bool:
    code = ord(ch)
    return (
        0x4E00 <= code <= 0x9FFF
        or 0x3400 <= code <= 0x4DBF
        or 0xF900 <= code <= 0xFAFF
        or 0x20000 <= code <= 0x3134F
    )


@cache
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


@cache
def segmenter() -> rjieba.Jieba:
    """The process's segmenter with the domain dictionary loaded (built once, then read only)."""
    jieba = rjieba.Jieba()
    for word, freq in dictionary_words():
        jieba.add_word(word, freq, None)
    return jieba


def dictionary_words(path: Path = DICT_PATH) -> list[tuple[str, int | None]]:
    words = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        words.append((normalize(parts[0]), freq))
    return words


def normalize(text: str) -> str:
    """NFKC, traditional → simplified, lower case."""
    if not text:
        return ""
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    return _converter().convert(text).lower()


_has_word_char = re.compile(r"[^\W_]").search
_cjk_chars = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]").findall


def _keep(token: str) -> bool:
    return (
        (token.isalnum() or _has_word_char(token) is not None)
        and token not in STOPWORDS
        and len(token) <= MAX_TERM_LENGTH
    )


def _cut(text: str) -> list[str]:
    """The kept search-mode terms of normalized text."""
    return [
        t
        for t in segmenter().cut_for_search(text)
        if (t.isalnum() or _has_word_char(t) is not None)
        and t not in STOPWORDS
        and len(t) <= MAX_TERM_LENGTH
    ]


def index_terms(text: str, *, unigrams: bool = False) -> list[str]:
    """The terms under which a document field is found, in text order (duplicates kept)."""
    text = normalize(text)
    if not text:
        return []
    terms = _cut(text)
    if unigrams:
        terms.extend(_cjk_chars(text))
    return terms


# jieba cuts a text block by block, a block being a run of its word characters (CJK,
# ASCII letters and digits, a few signs); whitespace and these punctuation marks are never
# inside one. So the terms of a text are the terms of its pieces (each up to and including
# its separators), one after the other.
_SEPARATORS = r"\s，。、；：！？,;:!?"
_pieces = re.compile(rf"[^{_SEPARATORS}]*[{_SEPARATORS}]+|[^{_SEPARATORS}]+").findall


class CachedIndexTerms:
    """`index_terms` for bulk loads of repetitive text (synthetic data from word lists,
    records that share tags and phrases): each piece between separators is cut once and
    remembered, up to `max_pieces` of them (then the memory starts over). The terms are
    exactly those of `index_terms` (tests compare them)."""

    def __init__(self, max_pieces: int = 200_000) -> None:
        self.max_pieces = max_pieces
        self._memo: dict[str, list[str]] = {}

    def __call__(self, text: str, *, unigrams: bool = False) -> list[str]:
        text = normalize(text)
        if not text:
            return []
        memo = self._memo
        terms: list[str] = []
        for piece in _pieces(text):
            found = memo.get(piece)
            if found is None:
                if len(memo) >= self.max_pieces:
                    memo.clear()
                found = memo[piece] = _cut(piece)
            terms += found
        if unigrams:
            terms.extend(_cjk_chars(text))
        return terms


@dataclass(frozen=True)
class QueryTerm:
    """One word of a query. `chars` (when not empty) is the alternative spelling as single
    characters, all of which must match: the word is not in the dictionary."""

    word: str
    chars: tuple[str, ...] = ()

    @property
    def highlights(self) -> tuple[str, ...]:
        return (self.word, *self.chars)


def query_terms(q: str) -> list[QueryTerm]:
    """The words of a query (at most MAX_QUERY_TERMS), each of which a hit must contain."""
    text = normalize(q[:MAX_QUERY_LENGTH])
    if not text.strip():
        return []
    jieba = segmenter()
    words = [w.strip() for w in jieba.cut(text) if w.strip()]
    kept = [w for w in words if _keep(w)]
    if not kept:
        # only function words ("的"): search them as they are, titles index single characters
        kept = [w for w in words if _has_word_char(w) and len(w) <= MAX_TERM_LENGTH]
    result: list[QueryTerm] = []
    seen: set[str] = set()
    for word in kept:
        if word in seen:
            continue
        seen.add(word)
        chars: tuple[str, ...] = ()
        if len(word) > 1 and all(is_cjk(ch) for ch in word) and not jieba.has_word(word):
            chars = tuple(dict.fromkeys(word))
        result.append(QueryTerm(word, chars))
        if len(result) == MAX_QUERY_TERMS:
            break
    return result
