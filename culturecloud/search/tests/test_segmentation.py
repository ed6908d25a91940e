"""Segmentation: normalization, the domain dictionary, search mode, unigrams, query words."""

from __future__ import annotations

from culturecloud.search import segmentation as seg
from culturecloud.search.segmentation import QueryTerm, index_terms, normalize, query_terms


def test_normalize_traditional_full_width_and_case():
    assert normalize("京劇藝術") == "京剧艺术"
    assert normalize("ＡＢＣ１２３") == "abc123"
    assert normalize("廣場舞 Dance") == "广场舞 dance"
    assert normalize("") == ""


def test_domain_dictionary_keeps_terms_whole():
    terms = index_terms("非遗传承人在广场舞活动中表演，村晚在综合文化站举行")
    for word in ("非遗传承人", "广场舞", "村晚", "综合文化站"):
        assert word in terms
    # search mode also yields the dictionary words inside a long word
    assert {"非遗", "传承人", "广场", "文化站"} <= set(terms)


def test_search_mode_finds_words_inside_longer_words():
    assert {"京剧", "剧院", "京剧院"} <= set(index_terms("京剧院"))


def test_punctuation_and_function_words_are_dropped():
    terms = index_terms("我们的京剧，和昆曲！")
    assert "的" not in terms and "和" not in terms and "，" not in terms and "！" not in terms
    assert {"京剧", "昆曲"} <= set(terms)


def test_unigrams_only_when_asked():
    assert "舞" not in index_terms("广场舞大赛")
    with_unigrams = index_terms("广场舞大赛", unigrams=True)
    assert {"广", "场", "舞", "大", "赛"} <= set(with_unigrams)


def test_query_terms():
    assert query_terms("京劇") == [QueryTerm("京剧")]
    assert query_terms("舞") == [QueryTerm("舞")]
    assert [t.word for t in query_terms("非遗 传承人 广场舞教学")] == [
        "非遗",
        "传承人",
        "广场舞",
        "教学",
    ]
    assert query_terms("  ！！ ") == []
    assert query_terms("") == []


def test_query_word_unknown_to_the_dictionary_also_matches_as_characters():
    (term,) = query_terms("钱岗")
    assert term.word == "钱岗" and term.chars == ("钱", "岗")
    assert term.highlights == ("钱岗", "钱", "岗")


def test_query_of_only_function_words_is_kept():
    assert query_terms("的") == [QueryTerm("的")]


def test_query_words_are_deduplicated_and_bounded():
    assert query_terms("京剧 京剧 京剧") == [QueryTerm("京剧")]
    many = " ".join(
        ["京剧", "昆曲", "越剧", "豫剧", "川剧", "粤剧", "秦腔", "评剧", "黄梅戏", "花鼓戏"]
    )
    assert len(query_terms(many)) == seg.MAX_QUERY_TERMS


def test_long_queries_are_cut():
    assert len(query_terms("京" * 1000)) <= seg.MAX_QUERY_TERMS


def test_dictionary_file_is_clean():
    words = [w for w, _f in seg.dictionary_words()]
    assert len(words) >= 300
    assert len(words) == len(set(words))
    assert all(normalize(w) == w and " " not in w for w in words)
