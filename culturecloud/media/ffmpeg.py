"""ffmpeg from the imageio-ffmpeg wheel (no system install), run safely.

Every run: an argument list (never a shell), `-nostdin`, a timeout, lower CPU priority.
imageio-ffmpeg ships no ffprobe, so `probe` reads what `ffmpeg -i` prints about the input
(and, when the container does not say how long it is, decodes it to the null muxer).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from . import conf


class FFmpegError(Exception):
    def __init__(self, message: str, *, stderr: str = "") -> None:
        super().__init__(message)
        self.stderr = stderr

    @property
    def detail(self) -> str:
        lines = [line.strip() for line in self.stderr.splitlines() if line.strip()]
        return (lines[-1] if lines else str(self))[:300]

    @property
    def transient(self) -> bool:
        """A failure of the machine rather than of the input (worth trying again)."""
        text = self.stderr.lower()
        return any(
            sign in text
            for sign in (
                "no space left on device",
                "cannot allocate memory",
                "resource temporarily unavailable",
                "input/output error",
            )
        )


class FFmpegTimeout(FFmpegError):
    pass


@cache
def executable() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


@cache
def _nice_prefix() -> tuple[str, ...]:
    """`nice -n N` in front of ffmpeg: background priority without a preexec_fn (which is
    not safe in threaded servers, where eager tasks run)."""
    niceness = int(conf.get("MEDIA_FFMPEG_NICE"))
    nice = shutil.which("nice")
    return (nice, "-n", str(niceness)) if niceness and nice else ()


def run(
    args: list[str], *, timeout: float | None = None, check: bool = True, stats: bool = False
) -> str:
    """Run ffmpeg with `args`; return what it wrote on stderr. Raises FFmpegError when it
    fails (if `check`) and FFmpegTimeout when it runs longer than `timeout` seconds."""
    limit = float(conf.get("MEDIA_FFMPEG_TIMEOUT")) if timeout is None else timeout
    command = [
        *_nice_prefix(),
        executable(),
        "-nostdin",
        "-hide_banner",
        "-stats" if stats else "-nostats",
        *args,
    ]
    try:
        done = subprocess.run(  # noqa: S603 (an argument list, no shell)
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=limit,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        stderr = (exc.stderr or b"").decode("utf-8", "replace")
        raise FFmpegTimeout(f"ffmpeg ran longer than {limit:.0f} s", stderr=stderr) from exc
    stderr = done.stderr.decode("utf-8", "replace")
    if check and done.returncode != 0:
        raise FFmpegError(f"ffmpeg exited with {done.returncode}", stderr=stderr)
    return stderr


def threads_args() -> list[str]:
    threads = int(conf.get("MEDIA_FFMPEG_THREADS"))
    return ["-threads", str(threads)] if threads else []


# --- probe -----------------------------------------------------------------------------


@dataclass
class Probe:
    duration: float | None = None
    bitrate: int | None = None  # bit/s of the whole file
    width: int | None = None  # as displayed (rotation applied)
    height: int | None = None
    fps: float | None = None
    video_codec: str = ""
    audio_codec: str = ""
    sample_rate: int | None = None
    channels: str = ""
    streams: list[str] = field(default_factory=list)

    @property
    def has_video(self) -> bool:
        return bool(self.video_codec)

    @property
    def has_audio(self) -> bool:
        return bool(self.audio_codec)


_DURATION = re.compile(r"Duration:\s*(\d+):(\d{2}):(\d{2}(?:\.\d+)?)")
_BITRATE = re.compile(r"Duration:.*?bitrate:\s*(\d+)\s*kb/s")
_STREAM = re.compile(r"^\s*Stream #\d+:\d+.*?:\s*(Video|Audio):\s*(.*)$", re.MULTILINE)
_SIZE = re.compile(r"(?<![0-9x])(\d{2,5})x(\d{2,5})(?![0-9x])")
_SAR = re.compile(r"\[SAR (\d+):(\d+) DAR \d+:\d+\]")
_FPS = re.compile(r"([\d.]+)\s*fps")
_RATE = re.compile(r"(\d+)\s*Hz")
_ROTATION = re.compile(r"rotation of (-?[\d.]+) degrees")
_TIME = re.compile(r"time=\s*(\d+):(\d{2}):(\d{2}(?:\.\d+)?)")


def _seconds(hours: str, minutes: str, seconds: str) -> float:
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def parse_probe(text: str) -> Probe:
    """Read `ffmpeg -i` output (the input section only)."""
    text = text.split("Output #", 1)[0]
    probe = Probe()
    match = _DURATION.search(text)
    if match:
        probe.duration = _seconds(*match.groups())
    match = _BITRATE.search(text)
    if match:
        probe.bitrate = int(match.group(1)) * 1000
    for kind, description in _STREAM.findall(text):
        probe.streams.append(f"{kind}: {description.strip()}"[:200])
        codec = description.split(",", 1)[0].split(" ", 1)[0].strip()
        if kind == "Video" and "(attached pic)" not in description and not probe.video_codec:
            probe.video_codec = codec
            size = _SIZE.search(description)
            if size:
                probe.width, probe.height = int(size.group(1)), int(size.group(2))
                sar = _SAR.search(description)
                if sar and int(sar.group(1)) and int(sar.group(2)):  # non-square pixels
                    probe.width = round(probe.width * int(sar.group(1)) / int(sar.group(2)))
            fps = _FPS.search(description)
            if fps:
                probe.fps = float(fps.group(1))
        elif kind == "Audio" and not probe.audio_codec:
            probe.audio_codec = codec
            rate = _RATE.search(description)
            if rate:
                probe.sample_rate = int(rate.group(1))
            parts = [p.strip() for p in description.split(",")]
            if len(parts) > 2:
                probe.channels = parts[2]
    rotation = _ROTATION.search(text)
    if rotation and probe.width and probe.height and round(abs(float(rotation.group(1)))) % 180:
        probe.width, probe.height = probe.height, probe.width
    return probe


def probe(path: Path, *, timeout: float = 120) -> Probe:
    """What the input holds. Raises FFmpegError when ffmpeg cannot read it at all."""
    text = run(["-i", str(path)], timeout=timeout, check=False)
    if "Invalid data found" in text or "Stream #" not in text:
        raise FFmpegError("ffmpeg cannot read the input", stderr=text)
    result = parse_probe(text)
    if result.duration is None:
        # Streamed containers (some WebM, raw AAC) do not state their length: decode them.
        decoded = run(["-i", str(path), "-map", "0", "-f", "null", "-"], stats=True)
        times = _TIME.findall(decoded)
        if times:
            result.duration = _seconds(*times[-1])
    return result
