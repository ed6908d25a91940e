"""The demo resource library: heritage projects and inheritors, ~16 published resources of
every kind with real (small) media generated here, and a published collection (专题).

Everything goes through `resources.services` and `core.review` (submit by the editor,
approve by the reviewer), so the audit log, the review history and the search index are
the real thing. The media files are made at seed time: Pillow pictures (paper-cut patterns,
calligraphy, ink landscapes, with the title drawn when a CJK font is installed), a short
ffmpeg test-pattern clip with a tone (360p), a pentatonic tune as WAV, a two-page PDF.
They are processed by the media pipeline after the demo transaction commits.
"""

from __future__ import annotations

import io
import math
import random
import struct
import subprocess
import tempfile
import wave
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw, ImageFont

from culturecloud.accounts.models import User
from culturecloud.core import review
from culturecloud.institutions.models import Institution
from culturecloud.resources import services as resource_services
from culturecloud.resources.models import (
    ArtCategory,
    Collection,
    HeritageLevel,
    HeritageProject,
    IchCategory,
    Inheritor,
    Resource,
    ResourceKind,
    Rights,
)

# (editor, reviewer) phones of the demo staff per institution
DESK: dict[str, tuple[str, str]] = {
    "gd-gz-ch": ("13800000122", "13800000123"),
    "gd-gz-ch-tp": ("13800000132", "13800000133"),
    "zj-hz-tl": ("13800000222", "13800000223"),
    "sc-cd-pd": ("13800000322", "13800000323"),
}


@dataclass(frozen=True)
class DemoProject:
    key: str
    institution: str
    name: str
    ich_category: str
    level: str
    region: str
    description: str
    code: str = ""
    inheritors: tuple[tuple[str, str, str], ...] = ()  # (name, level, short bio)


PROJECTS: tuple[DemoProject, ...] = (
    DemoProject(
        "dragon",
        "gd-gz-ch",
        "从化舞龙",
        IchCategory.DANCE,
        HeritageLevel.MUNICIPAL,
        "440117",
        "从化舞龙流传于从化区各镇街，春节、元宵和墟日出龙，龙身以竹篾扎骨、彩布为衣，"
        "套路有“龙出海”“龙盘柱”“双龙戏珠”等。",
        inheritors=(("陈汉光", HeritageLevel.MUNICIPAL, "自幼随父习龙，带徒四十余人。"),),
    ),
    DemoProject(
        "papercut",
        "gd-gz-ch-tp",
        "太平镇剪纸",
        IchCategory.ART,
        HeritageLevel.COUNTY,
        "440117",
        "以红纸为主，题材多为花鸟、龙凤和农家生活，常用于婚嫁、节庆的窗花与礼花。",
        inheritors=(
            ("张秀兰", HeritageLevel.COUNTY, "从事剪纸五十年，在镇文化站开设公益剪纸班。"),
        ),
    ),
    DemoProject(
        "hakka_song",
        "gd-gz-ch-tp",
        "从化客家山歌",
        IchCategory.MUSIC,
        HeritageLevel.COUNTY,
        "440117",
        "客家人在山间劳作时即兴对唱的歌谣，七言四句，用客家话演唱。",
        inheritors=(("钟月娥", HeritageLevel.COUNTY, "太平镇山歌队队长，整理山歌三百余首。"),),
    ),
    DemoProject(
        "canton_music",
        "gd-gz-ch",
        "广东音乐",
        IchCategory.MUSIC,
        HeritageLevel.NATIONAL,
        "440100",
        "以高胡、扬琴、秦琴等为主奏乐器的丝竹合奏乐种，代表曲目有《雨打芭蕉》《步步高》"
        "《平湖秋月》。",
    ),
    DemoProject(
        "sichuan_opera",
        "sc-cd-pd",
        "川剧",
        IchCategory.DRAMA,
        HeritageLevel.NATIONAL,
        "510117",
        "由昆、高、胡、弹、灯五种声腔组成，变脸、吐火、藏刀等绝技闻名。",
        inheritors=(
            ("王道正", HeritageLevel.PROVINCIAL, "川剧丑角演员，多年在社区开展川剧讲座。"),
        ),
    ),
    DemoProject(
        "doubanjiang",
        "sc-cd-pd",
        "郫县豆瓣传统制作技艺",
        IchCategory.CRAFT,
        HeritageLevel.NATIONAL,
        "510117",
        "以蚕豆、二荆条辣椒为原料，经翻、晒、露等工序长期发酵而成。",
    ),
    DemoProject(
        "tonglu_tales",
        "zj-hz-tl",
        "桐庐民间故事",
        IchCategory.FOLK_LITERATURE,
        HeritageLevel.COUNTY,
        "330122",
        "富春江两岸流传的严子陵、桐君老人等传说故事。",
        inheritors=(("申屠桂芳", HeritageLevel.COUNTY, "退休教师，讲述并记录民间故事一百余则。"),),
    ),
)


@dataclass(frozen=True)
class DemoResource:
    institution: str
    title: str
    kind: str
    category: str
    media: str  # generator name (see MEDIA)
    description: str
    date: str = ""
    creator: str = ""
    ich_category: str = ""
    project: str = ""
    with_inheritors: bool = False
    tags: tuple[str, ...] = ()
    rights: str = Rights.CC_BY_NC
    images: int = 1  # pictures of an image set
    publish: bool = True


RESOURCES: tuple[DemoResource, ...] = (
    DemoResource(
        "gd-gz-ch", "从化舞龙表演", ResourceKind.VIDEO, ArtCategory.DANCE, "video:testsrc2",
        "<p>2026年元宵节，从化区街口街舞龙队在河滨公园的完整表演，含“龙出海”“双龙戏珠”套路。</p>",
        date="2026-02-12", creator="从化区文化馆", ich_category=IchCategory.DANCE,
        project="dragon", with_inheritors=True, tags=("舞龙", "元宵", "民俗表演"),
    ),
    DemoResource(
        "gd-gz-ch-tp", "太平镇剪纸作品集", ResourceKind.IMAGE_SET, ArtCategory.FINE_ARTS,
        "image:papercut",
        "<p>太平镇文化站剪纸班学员作品选，题材为花鸟、生肖与农家生活。</p>",
        date="2025-11", creator="太平镇综合文化站", ich_category=IchCategory.ART,
        project="papercut", with_inheritors=True, tags=("剪纸", "窗花"), images=3,
    ),
    DemoResource(
        "gd-gz-ch", "广东音乐《雨打芭蕉》", ResourceKind.AUDIO, ArtCategory.MUSIC, "audio:1",
        "<p>广东音乐代表曲目，高胡、扬琴、秦琴合奏，由从化区文化馆民乐队演奏。</p>",
        date="2025-09-20", creator="从化区文化馆民乐队", ich_category=IchCategory.MUSIC,
        project="canton_music", tags=("广东音乐", "丝竹"),
    ),
    DemoResource(
        "sc-cd-pd", "川剧变脸讲座", ResourceKind.VIDEO, ArtCategory.DRAMA, "video:mandelbrot",
        "<p>川剧丑角演员王道正讲解变脸的历史、“抹脸”“吹脸”“扯脸”等手法与舞台规矩。</p>",
        date="2025-12-06", creator="郫都区文化馆", ich_category=IchCategory.DRAMA,
        project="sichuan_opera", with_inheritors=True, tags=("川剧", "变脸", "讲座"),
    ),
    DemoResource(
        "gd-gz-ch", "粤剧《帝女花·香夭》选段", ResourceKind.AUDIO, ArtCategory.DRAMA, "audio:2",
        "<p>从化区粤剧私伙局演唱的《帝女花·香夭》选段。</p>",
        date="2025-10", creator="从化区粤剧曲艺协会", ich_category=IchCategory.DRAMA,
        tags=("粤剧", "私伙局"),
    ),
    DemoResource(
        "zj-hz-tl", "桐庐剪纸《富春山居》", ResourceKind.IMAGE, ArtCategory.FINE_ARTS,
        "image:papercut",
        "<p>以富春江山水为题材的大幅剪纸作品，2025年桐庐县民间艺术展展品。</p>",
        date="2025", creator="桐庐县文化馆", ich_category=IchCategory.ART, tags=("剪纸", "山水"),
    ),
    DemoResource(
        "gd-gz-ch", "书法作品《兰亭序》临本", ResourceKind.IMAGE, ArtCategory.CALLIGRAPHY,
        "image:calligraphy",
        "<p>从化区书法家协会会员临写的《兰亭序》，行书。</p>",
        date="2025-05", creator="从化区书法家协会", tags=("书法", "行书"),
    ),
    DemoResource(
        "gd-gz-ch-tp", "从化客家山歌对唱", ResourceKind.AUDIO, ArtCategory.MUSIC, "audio:3",
        "<p>太平镇山歌队在钱岗古村的山歌对唱录音。</p>",
        date="2025-08-16", creator="太平镇山歌队", ich_category=IchCategory.MUSIC,
        project="hakka_song", with_inheritors=True, tags=("山歌", "客家"),
    ),
    DemoResource(
        "gd-gz-ch", "《从化区非物质文化遗产名录图录》", ResourceKind.DOCUMENT,
        ArtCategory.LITERATURE, "pdf",
        "<p>从化区各级非遗代表性项目与传承人的图文介绍（节选）。</p>",
        date="2025-06", creator="从化区文化馆", rights=Rights.IN_COPYRIGHT, tags=("非遗", "图录"),
    ),
    DemoResource(
        "sc-cd-pd", "郫县豆瓣翻晒露工艺", ResourceKind.IMAGE, ArtCategory.PHOTOGRAPHY,
        "image:landscape",
        "<p>晒场上成排的豆瓣酱缸，记录“日晒夜露”的发酵工序。</p>",
        date="2025-07", creator="郫都区文化馆", ich_category=IchCategory.CRAFT,
        project="doubanjiang", tags=("郫县豆瓣", "传统技艺"),
    ),
    DemoResource(
        "sc-cd-pd", "蜀绣针法图解", ResourceKind.IMAGE_SET, ArtCategory.FINE_ARTS,
        "image:papercut",
        "<p>蜀绣常用针法图解：晕针、铺针、滚针、截针。</p>",
        date="2025", creator="郫都区文化馆", ich_category=IchCategory.ART,
        tags=("蜀绣", "刺绣"), images=2,
    ),
    DemoResource(
        "zj-hz-tl", "桐庐民间故事集", ResourceKind.DOCUMENT, ArtCategory.LITERATURE, "pdf",
        "<p>严子陵钓台、桐君老人采药等桐庐民间故事的整理本。</p>",
        date="2024-12", creator="桐庐县文化馆", ich_category=IchCategory.FOLK_LITERATURE,
        project="tonglu_tales", with_inheritors=True, tags=("民间故事",),
    ),
    DemoResource(
        "gd-gz-ch-tp", "钱岗古村影像", ResourceKind.IMAGE, ArtCategory.PHOTOGRAPHY,
        "image:landscape",
        "<p>钱岗古村的广裕祠、古巷与村口榕树。</p>",
        date="2025-04", creator="太平镇综合文化站", tags=("古村落", "摄影"), rights=Rights.CC_BY,
    ),
    DemoResource(
        "gd-gz-ch-tp", "广场舞《春天的故事》教学", ResourceKind.VIDEO, ArtCategory.DANCE,
        "video:cellauto",
        "<p>分解动作教学，适合中老年广场舞队跟练。</p>",
        date="2026-03", creator="太平镇综合文化站", tags=("广场舞", "教学"),
    ),
    DemoResource(
        "zj-hz-tl", "古琴曲《流水》", ResourceKind.AUDIO, ArtCategory.MUSIC, "audio:4",
        "<p>桐庐县古琴社社员演奏的《流水》。</p>",
        date="2025-03", creator="桐庐县古琴社", tags=("古琴",), rights=Rights.CC_BY,
    ),
    DemoResource(
        "sc-cd-pd", "川剧脸谱图册", ResourceKind.DOCUMENT, ArtCategory.DRAMA, "pdf",
        "<p>川剧常见角色的脸谱与色彩寓意。</p>",
        date="2025-11", creator="郫都区文化馆", ich_category=IchCategory.DRAMA,
        project="sichuan_opera", tags=("川剧", "脸谱"),
    ),
    DemoResource(
        "gd-gz-ch", "从化荔枝节农民画", ResourceKind.IMAGE, ArtCategory.FINE_ARTS,
        "image:calligraphy",
        "<p>待审核：荔枝节农民画作品。</p>",
        date="2026-06", creator="从化区文化馆", tags=("农民画",), publish=False,
    ),
)  # fmt: skip

COLLECTION_TITLE = "岭南非遗影音专题"
COLLECTION_DESCRIPTION = "<p>从化舞龙、太平镇剪纸、客家山歌与广东音乐：岭南乡土的声音与手艺。</p>"
COLLECTION_ITEMS = (
    "从化舞龙表演",
    "太平镇剪纸作品集",
    "从化客家山歌对唱",
    "广东音乐《雨打芭蕉》",
    "粤剧《帝女花·香夭》选段",
)


# --- generated media --------------------------------------------------------------------


@cache
def _font_path() -> str | None:
    roots = [Path("/usr/share/fonts"), Path("/usr/local/share/fonts")]
    for root in roots:
        if root.is_dir():
            for pattern in ("**/*CJK*SC*", "**/*CJK*", "**/wqy*", "**/*Hei*"):
                for path in sorted(root.glob(pattern)):
                    if path.suffix.lower() in (".ttc", ".otf", ".ttf"):
                        return str(path)
    return None


def _font(size: int) -> Any:
    path = _font_path()
    if path:
        for index in (2, 0):  # Noto CJK collections: index 2 is Simplified Chinese
            try:
                return ImageFont.truetype(path, size, index=index)
            except OSError:
                continue
    return None


def _caption(draw: ImageDraw.ImageDraw, text: str, box: tuple[int, int], fill: Any) -> None:
    font = _font(max(18, box[0] // 22))
    if font is None:
        return
    width = draw.textlength(text, font=font)
    draw.text(((box[0] - width) / 2, box[1] - font.size * 2), text, font=font, fill=fill)


def _jpeg(picture: Image.Image) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def papercut(title: str, seed: int) -> bytes:
    """A red paper-cut: a pattern drawn in one quarter, mirrored four ways, in a round frame."""
    rnd = random.Random(seed)
    size = 900
    half = size // 2
    quarter = Image.new("L", (half, half), 0)
    draw = ImageDraw.Draw(quarter)
    for _ in range(26):
        x, y = rnd.randrange(half), rnd.randrange(half)
        r = rnd.randrange(12, 70)
        shape = rnd.choice(("petal", "ring", "diamond"))
        if shape == "petal":
            draw.ellipse((x - r, y - r // 3, x + r, y + r // 3), fill=255)
        elif shape == "ring":
            draw.ellipse((x - r, y - r, x + r, y + r), outline=255, width=max(4, r // 5))
        else:
            draw.polygon([(x, y - r), (x + r // 2, y), (x, y + r), (x - r // 2, y)], fill=255)
    top = Image.new("L", (size, half))
    top.paste(quarter, (0, 0))
    top.paste(quarter.transpose(Image.Transpose.FLIP_LEFT_RIGHT), (half, 0))
    mask = Image.new("L", (size, size))
    mask.paste(top, (0, 0))
    mask.paste(top.transpose(Image.Transpose.FLIP_TOP_BOTTOM), (0, half))
    circle = Image.new("L", (size, size), 0)
    ImageDraw.Draw(circle).ellipse((40, 40, size - 40, size - 40), fill=255)
    ring = Image.new("L", (size, size), 0)
    ImageDraw.Draw(ring).ellipse((40, 40, size - 40, size - 40), outline=255, width=18)
    mask = Image.composite(mask, Image.new("L", (size, size), 0), circle)
    mask = Image.composite(Image.new("L", (size, size), 255), mask, ring)
    picture = Image.new("RGB", (size, size), (246, 238, 222))
    picture.paste((190, 28, 36), (0, 0), mask)
    _caption(ImageDraw.Draw(picture), title, (size, size + 30), (120, 20, 20))
    return _jpeg(picture)


def calligraphy(title: str, seed: int) -> bytes:
    """Black characters on rice paper in a column (or brush strokes without a CJK font)."""
    rnd = random.Random(seed)
    width, height = 700, 1000
    picture = Image.new("RGB", (width, height), (236, 226, 200))
    draw = ImageDraw.Draw(picture)
    text = "永和九年岁在癸丑暮春之初会于会稽山阴之兰亭"
    font = _font(64)
    for column in range(3):
        x = width - 150 - column * 180
        for row in range(10):
            y = 60 + row * 88
            char = text[(column * 10 + row) % len(text)]
            if font is not None:
                draw.text((x, y), char, font=font, fill=(20, 20, 20))
            else:
                draw.line(
                    (x, y, x + rnd.randrange(30, 70), y + rnd.randrange(10, 60)),
                    fill=(20, 20, 20),
                    width=rnd.randrange(6, 14),
                )
    draw.rectangle((40, height - 130, 90, height - 80), fill=(180, 30, 30))  # the seal
    _caption(draw, title, (width, height), (60, 50, 40))
    return _jpeg(picture)


def landscape(title: str, seed: int) -> bytes:
    """An ink-wash landscape: layered ridges, lighter towards the back."""
    rnd = random.Random(seed)
    width, height = 1200, 800
    picture = Image.new("RGB", (width, height), (240, 236, 226))
    draw = ImageDraw.Draw(picture)
    for layer in range(5):
        tone = 200 - layer * 38
        base = 300 + layer * 90
        points = [(0, height)]
        phase = rnd.random() * 6
        for x in range(0, width + 20, 20):
            y = base - 80 * math.sin(x / (140 + layer * 30) + phase) - rnd.randrange(0, 25)
            points.append((x, int(y)))
        points.append((width, height))
        draw.polygon(points, fill=(tone, tone, tone - 8))
    draw.ellipse((900, 90, 980, 170), fill=(200, 60, 50))
    _caption(draw, title, (width, height), (250, 250, 245))
    return _jpeg(picture)


PENTATONIC = (261.63, 293.66, 329.63, 392.0, 440.0, 523.25)


def tune(seed: int, seconds: float = 6.0, rate: int = 22050) -> bytes:
    """A pentatonic tune (WAV, mono 16-bit) with soft plucked notes."""
    rnd = random.Random(seed)
    frames = bytearray()
    note_len = 0.375
    notes = int(seconds / note_len)
    for _ in range(notes):
        freq = rnd.choice(PENTATONIC) * rnd.choice((1, 1, 0.5))
        for i in range(int(note_len * rate)):
            t = i / rate
            envelope = math.exp(-4 * t)
            sample = envelope * (
                0.6 * math.sin(2 * math.pi * freq * t) + 0.2 * math.sin(4 * math.pi * freq * t)
            )
            frames += struct.pack("<h", int(sample * 20000))
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(bytes(frames))
    return buffer.getvalue()


def clip(source: str, seconds: int = 4) -> bytes:
    """A 640×360 H.264 clip of an ffmpeg test source with a tone (AAC)."""
    from culturecloud.media import ffmpeg

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "clip.mp4"
        args = [
            ffmpeg.executable(), "-nostdin", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", f"{source}=size=640x360:rate=25",
            "-f", "lavfi", "-i", f"sine=frequency=330:duration={seconds}",
            "-t", str(seconds), "-c:v", "libx264", "-preset", "ultrafast",
            "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(path),
        ]  # fmt: skip
        subprocess.run(args, check=True, timeout=120, capture_output=True)  # noqa: S603
        return path.read_bytes()


def pdf(title: str, body: str) -> bytes:
    """A two-page PDF (pages drawn with Pillow): a cover with the title, a text page."""
    cover = Image.new("RGB", (595, 842), (250, 246, 236))
    draw = ImageDraw.Draw(cover)
    draw.rectangle((40, 40, 555, 802), outline=(150, 30, 30), width=6)
    font = _font(34)
    if font is not None:
        draw.text((80, 300), title, font=font, fill=(60, 20, 20))
    page = Image.new("RGB", (595, 842), (255, 255, 255))
    draw = ImageDraw.Draw(page)
    small = _font(20)
    text = body * 6
    for row in range(24):
        line = text[row * 22 : (row + 1) * 22]
        if small is not None and line:
            draw.text((60, 60 + row * 30), line, font=small, fill=(30, 30, 30))
        elif line:
            draw.line((60, 70 + row * 30, 520, 70 + row * 30), fill=(120, 120, 120), width=3)
    buffer = io.BytesIO()
    cover.save(buffer, format="PDF", save_all=True, append_images=[page], resolution=72)
    return buffer.getvalue()


def media_files(item: DemoResource, seed: int) -> list[tuple[str, bytes]]:
    """(file name, content) of the media of a demo resource."""
    kind, _sep, arg = item.media.partition(":")
    if kind == "video":
        return [("clip.mp4", clip(arg))]
    if kind == "audio":
        return [("tune.wav", tune(seed * 7 + int(arg)))]
    if kind == "pdf":
        body = item.description.replace("<p>", "").replace("</p>", "")
        return [("document.pdf", pdf(item.title, body))]
    painter: Callable[[str, int], bytes] = {
        "papercut": papercut,
        "calligraphy": calligraphy,
        "landscape": landscape,
    }[arg]
    return [
        (f"picture-{n + 1}.jpg", painter(item.title, seed * 31 + n)) for n in range(item.images)
    ]


# --- seeding ----------------------------------------------------------------------------


@dataclass
class LibraryResult:
    projects: int = 0
    inheritors: int = 0
    resources: dict[str, int] = field(default_factory=dict)
    media_files: int = 0
    collections: int = 0


def seed_library(
    *,
    people: dict[str, User],
    institutions: dict[str, Institution],
    with_media: bool = True,
    stored: list[str] | None = None,
    say: Callable[[str], None] = lambda message: None,
) -> LibraryResult:
    """Create the demo library inside the caller's transaction. The storage paths of the
    uploaded originals are appended to `stored` (for the caller to remove if it rolls back)."""
    stored = stored if stored is not None else []
    result = LibraryResult()
    projects: dict[str, HeritageProject] = {}
    inheritors: dict[str, list[Inheritor]] = {}
    for spec in PROJECTS:
        editor = people[DESK[spec.institution][0]]
        project = resource_services.create_heritage_project(
            actor=editor,
            institution=institutions[spec.institution],
            name=spec.name,
            code=spec.code,
            ich_category=spec.ich_category,
            level=spec.level,
            region=spec.region,
            description=spec.description,
        )
        projects[spec.key] = project
        inheritors[spec.key] = [
            resource_services.create_inheritor(
                actor=editor, project=project, name=name, level=level, region=spec.region, bio=bio
            )
            for name, level, bio in spec.inheritors
        ]
        result.projects += 1
        result.inheritors += len(spec.inheritors)
    say(f"Created {result.projects} heritage projects and {result.inheritors} inheritors.")

    by_title: dict[str, Resource] = {}
    for n, item in enumerate(RESOURCES):
        editor_phone, reviewer_phone = DESK[item.institution]
        editor = people[editor_phone]
        fields: dict[str, Any] = {
            "title": item.title,
            "kind": item.kind,
            "category": item.category,
            "description": item.description,
            "date": item.date,
            "creator": item.creator,
            "rights": item.rights,
            "tags": list(item.tags),
            "region": institutions[item.institution].region_id,
            "language": "zh",
        }
        if item.ich_category:
            fields["ich_category"] = item.ich_category
        if item.project:
            fields["heritage_project"] = projects[item.project]
            if item.with_inheritors:
                fields["inheritors"] = [p.pk for p in inheritors[item.project]]
        resource = resource_services.create_resource(
            actor=editor, institution=institutions[item.institution], **fields
        )
        if with_media:
            for name, content in media_files(item, n + 1):
                resource = resource_services.upload_media(
                    actor=editor,
                    resource=resource,
                    uploaded_file=SimpleUploadedFile(name, content),
                )
                result.media_files += 1
            if resource.media is not None:
                stored.append(resource.media.original.name)
            stored += [i.asset.original.name for i in resource.images.select_related("asset")]
        resource = review.submit(resource, actor=editor)
        if item.publish:
            resource = review.approve(resource, actor=people[reviewer_phone])
        result.resources[resource.status] = result.resources.get(resource.status, 0) + 1
        by_title[item.title] = resource
    say(f"Created {len(RESOURCES)} resources ({result.media_files} media files).")

    curator = people[DESK["gd-gz-ch"][0]]
    collection: Collection = resource_services.create_collection(
        actor=curator,
        institution=institutions["gd-gz-ch"],
        title=COLLECTION_TITLE,
        description=COLLECTION_DESCRIPTION,
        resource_ids=[by_title[title].pk for title in COLLECTION_ITEMS],
    )
    collection = review.submit(collection, actor=curator)
    review.approve(collection, actor=people[DESK["gd-gz-ch"][1]])
    result.collections = 1
    return result
