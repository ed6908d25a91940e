"""jieba against rjieba: throughput (characters per second) and token agreement.

    nice .venv/bin/python bench/segmentation.py [--records 20000]

Both segmenters get the search app's domain dictionary (culturecloud/search/dict/culture.txt,
word by word with add_word) and cut the same lines: the hand-written sentences of
bench/search_corpus.py and the text of synthetic records (titles, tags, bodies). Measured:
precise mode (queries) and search mode (documents), HMM on; how often the two agree token for
token; how many domain terms stay whole without and with the dictionary; and the whole
indexing pipeline of the search app (normalize + rjieba search mode + unigrams).
Writes bench/results/search-segmentation.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import jieba
import rjieba
from search_corpus import SENTENCES, Generator

from culturecloud.search import segmentation

RESULTS = Path(__file__).resolve().parent / "results"


def best_of(runs: int, fn, lines: list[str]) -> float:
    """Seconds of the fastest of `runs` passes over `lines`."""
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        for line in lines:
            fn(line)
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    jieba.setLogLevel(logging.WARNING)

    gen = Generator(seed=11)
    lines = list(SENTENCES)
    for n in range(args.records):
        r = gen.record(n)
        lines.extend([r.title, r.subject, r.body])
    lines = [segmentation.normalize(line) for line in lines]
    chars = sum(len(line) for line in lines)

    words = segmentation.dictionary_words()
    plain_rjieba = rjieba.Jieba()
    dict_rjieba = segmentation.segmenter()
    jieba_dt = jieba.Tokenizer()
    jieba_dt.initialize()
    for word, freq in words:
        jieba_dt.add_word(word, freq)

    result: dict[str, object] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}",
        "lines": len(lines),
        "characters": chars,
        "dictionary_terms": len(words),
    }
    modes = {
        "precise": (lambda s: jieba_dt.lcut(s), dict_rjieba.cut),
        "search": (lambda s: jieba_dt.lcut_for_search(s), dict_rjieba.cut_for_search),
    }
    for mode, (jieba_fn, rjieba_fn) in modes.items():
        jieba_s = best_of(1, jieba_fn, lines)  # jieba is slow: one pass
        rjieba_s = best_of(args.runs, rjieba_fn, lines)
        same = sum(1 for line in lines if jieba_fn(line) == list(rjieba_fn(line)))
        differing = [
            {"line": line, "jieba": jieba_fn(line), "rjieba": list(rjieba_fn(line))}
            for line in lines[:2000]
            if jieba_fn(line) != list(rjieba_fn(line))
        ][:5]
        result[mode] = {
            "jieba_chars_per_s": round(chars / jieba_s),
            "rjieba_chars_per_s": round(chars / rjieba_s),
            "speedup": round(jieba_s / rjieba_s, 1),
            "identical_lines": same,
            "identical_share": round(same / len(lines), 5),
            "examples_of_differences": differing,
        }
        print(f"{mode}: {result[mode]}")

    # The domain dictionary: does each term of culture.txt stay whole in a sentence?
    whole_plain = whole_dict = 0
    for word, _freq in words:
        sentence = f"今天{word}活动在文化馆举行"
        whole_plain += word in plain_rjieba.cut(sentence)
        whole_dict += word in dict_rjieba.cut(sentence)
    result["dictionary"] = {
        "terms": len(words),
        "kept_whole_without_dictionary": whole_plain,
        "kept_whole_with_dictionary": whole_dict,
        "examples_without": {
            w: plain_rjieba.cut(w) for w in ["非遗传承人", "广场舞", "村晚", "综合文化站"]
        },
        "examples_with": {
            w: dict_rjieba.cut(w) for w in ["非遗传承人", "广场舞", "村晚", "综合文化站"]
        },
    }
    print("dictionary:", result["dictionary"])

    raw = [r for r in lines]
    started = time.perf_counter()
    for line in raw:
        segmentation.index_terms(line, unigrams=True)
    pipeline_s = time.perf_counter() - started
    started = time.perf_counter()
    for line in raw:
        segmentation.normalize(line)
    normalize_s = time.perf_counter() - started
    result["index_pipeline"] = {
        "chars_per_s": round(chars / pipeline_s),
        "normalize_chars_per_s": round(chars / normalize_s),
        "note": "normalize (NFKC, OpenCC t2s, lower) + rjieba search mode + filters + unigrams",
    }
    print("pipeline:", result["index_pipeline"])

    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "search-segmentation.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
