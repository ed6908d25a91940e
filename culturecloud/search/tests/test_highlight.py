"""Snippets: escaped first, query words in <mark>, around the first hit."""

from __future__ import annotations

from culturecloud.search.highlight import find_spans, mark, snippet


def test_mark_escapes_then_marks():
    html = mark("<script>alert(1)</script>京剧 & 昆曲", ["京剧"])
    assert "<script>" not in html
    assert html == "&lt;script&gt;alert(1)&lt;/script&gt;<mark>京剧</mark> &amp; 昆曲"


def test_query_words_cannot_inject_markup():
    html = mark("a <b> c", ["<b>"])
    assert html == "a <mark>&lt;b&gt;</mark> c"


def test_traditional_text_is_marked_for_a_simplified_word():
    assert mark("京劇藝術", ["京剧"]) == "<mark>京劇</mark>藝術"


def test_longest_word_wins_and_spans_do_not_overlap():
    assert find_spans("广场舞大赛", ["舞", "广场舞"]) == [(0, 3)]
    assert mark("广场舞和舞蹈", ["舞", "广场舞"]) == "<mark>广场舞</mark>和<mark>舞</mark>蹈"


def test_snippet_is_a_window_around_the_first_hit():
    text = "开头" + "很长的文字" * 60 + "京剧表演" + "结尾" * 50
    html = snippet(text, ["京剧"], length=40)
    assert html.startswith("…") and html.endswith("…")
    assert "<mark>京剧</mark>" in html
    assert len(html.replace("<mark>", "").replace("</mark>", "")) <= 42


def test_snippet_without_hit_is_the_start():
    assert snippet("第一句。第二句。", ["昆曲"], length=4) == "第一句。…"
    assert snippet("", ["昆曲"]) == ""


def test_snippet_escapes():
    html = snippet('<img src=x onerror="alert(1)"> 京剧', ["京剧"], length=200)
    assert html == "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; <mark>京剧</mark>"
    cut = snippet('<img src=x onerror="alert(1)">' * 20 + " 京剧", ["京剧"], length=60)
    assert cut.replace("<mark>", "").replace("</mark>", "").count("<") == 0
