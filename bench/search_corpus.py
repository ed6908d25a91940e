"""Synthetic Chinese text for the search benchmarks (bench/segmentation.py, bench/search_scale.py).

Words come from jieba's general dictionary (the 40,000 most frequent words of two to four
characters) plus the search app's domain dictionary, drawn with Zipf-like weights
(weight of the word of rank r ∝ 1 / r), so a few terms are in a tenth of the records and
most in almost none — the distribution measured in /work/shared/BENCHMARKS.md. A record has
a title (~12 characters), tags (~10) and a body (~100 characters), like a resource's
description; 1M records ≈ 120M characters. Deterministic for a seed.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from dataclasses import dataclass
from pathlib import Path

import jieba

ROOT = Path(__file__).resolve().parent.parent
VOCABULARY = 40_000

# Hand-written sentences in the style of the platform's content (segmentation agreement).
SENTENCES = [
    "非遗传承人在广场舞活动中表演京剧和昆曲，吸引了众多村民观看。",
    "从化区文化馆举办2024年村晚，十二个村的文艺队同台演出。",
    "太平镇综合文化站开设剪纸、刺绣和书法公益培训班，报名免费。",
    "国家公共文化云上线“欢乐春节”专题，汇集各地民俗活动直播。",
    "越剧《梁山伯与祝英台》选段教学视频，适合零基础戏曲爱好者。",
    "苏州评弹艺术家走进社区，讲述江南丝竹与吴语说唱的渊源。",
    "少数民族传统体育项目展演在那达慕大会期间举行。",
    "乡村振兴背景下农家书屋如何提升服务效能？专家这样说。",
    "数字文化馆推出线上展览，展示木版年画和蓝印花布的制作技艺。",
    "京剧院青年演员赴农村巡演，送文化下乡活动持续三个月。",
    "广东音乐与粤剧的伴奏乐器有哪些区别？这篇文章为您解答。",
    "二十四节气之立春：各地迎春习俗与传统饮食。",
    "舞狮、舞龙和高跷表演在元宵灯会上轮番登场。",
    "老年大学开设太极拳和八段锦课程，适老化服务受到欢迎。",
    "文化志愿者为留守儿童开设美育课堂，教授国画和合唱。",
    "省级非遗项目木雕技艺传承基地举行开放日活动。",
    "侗族大歌被列入人类非物质文化遗产代表作名录。",
    "北京剧场将上演原创话剧，票价亲民，学生可享半价。",
    "景泰蓝、漆器和紫砂壶等传统工艺品亮相文创产品展销会。",
    "黄梅戏经典唱段《天仙配》伴奏带下载。",
    "群众艺术馆举办摄影比赛，主题为“我的家乡”。",
    "图书馆推出有声读物和电子书借阅服务，读者可在线收听。",
    "端午节赛龙舟活动吸引了数万名游客，现场锣鼓喧天。",
    "陕北秧歌与安塞腰鼓的表演形式和历史渊源介绍。",
    "传统村落保护与利用研讨会在古镇召开。",
    "博物馆馆藏古籍数字化工程完成第一期，共扫描典籍三千余册。",
    "芭蕾舞剧《红色娘子军》在大剧院上演。",
    "皮影戏和木偶戏进校园，孩子们亲手制作了皮影人物。",
    "中国农民丰收节期间，各地举办农民画展览和民歌比赛。",
    "文化和旅游部公布第五批国家级非遗代表性传承人名单。",
]


@dataclass
class Record:
    n: int
    title: str
    subject: str
    body: str
    popularity: int
    published_at: dt.datetime
    category: str
    kind: str
    year: int
    language: str
    ich_category: str


CATEGORIES = ["music", "dance", "opera", "fine_art", "craft", "literature", "folk", "lecture"]
KINDS = ["video", "audio", "image", "document", "article"]
ICH = ["传统音乐", "传统舞蹈", "传统戏剧", "曲艺", "传统美术", "传统技艺", "民俗", ""]


def vocabulary(limit: int = VOCABULARY) -> list[str]:
    """Frequent 2–4 character words of jieba's dictionary, most frequent first, plus the
    domain dictionary spread over the ranks."""
    path = Path(jieba.__file__).parent / "dict.txt"
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if (
            len(parts) >= 2
            and 2 <= len(parts[0]) <= 4
            and all("\u4e00" <= ch <= "\u9fff" for ch in parts[0])
        ):
            rows.append((int(parts[1]), parts[0]))
    rows.sort(reverse=True)
    words = [w for _f, w in rows[:limit]]
    domain = ROOT / "culturecloud" / "search" / "dict" / "culture.txt"
    extra = [
        line.split()[0]
        for line in domain.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    rng = random.Random(7)
    for word in extra:
        if word not in words:
            words.insert(rng.randrange(50, len(words)), word)
    return words


class Generator:
    def __init__(self, seed: int = 1, vocab: list[str] | None = None) -> None:
        self.words = vocab or vocabulary()
        self.cum = list(itertools.accumulate(1.0 / (r + 1) for r in range(len(self.words))))
        self.rng = random.Random(seed)
        # ten years up to today, so that "newest" windows (7 days, 30 days, …) hold documents
        today = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        self.start = today - dt.timedelta(days=3650)

    def text(self, chars: int) -> str:
        out: list[str] = []
        length = 0
        while length < chars:
            for w in self.rng.choices(self.words, cum_weights=self.cum, k=8):
                out.append(w)
                length += len(w)
                if length >= chars:
                    break
            else:
                out.append("，")
        return "".join(out)

    def record(self, n: int) -> Record:
        rng = self.rng
        title = self.text(rng.randint(8, 16))
        subject = " ".join(self.text(2) for _ in range(rng.randint(2, 4)))
        body = self.text(rng.randint(50, 130)) + "。"
        published = self.start + dt.timedelta(seconds=rng.randrange(10 * 365 * 86400))
        return Record(
            n=n,
            title=title,
            subject=subject,
            body=body,
            popularity=int(rng.paretovariate(1.2) * 10),
            published_at=published,
            category=rng.choice(CATEGORIES),
            kind=rng.choice(KINDS),
            year=published.year,
            language=rng.choice(["zh", "zh", "zh", "zh", "en", "bo", "ug"]),
            ich_category=rng.choice(ICH),
        )
