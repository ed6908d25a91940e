"""Files through Django's storage API only, so the same code runs on local files (the
embedded default) and on S3-compatible object storage (production).

Resumable uploads keep every chunk as its own object (`media/uploads/<session>/<offset>`),
and completing an upload streams those objects, in order, into the original
(`ConcatenatedParts`). That is the one way that works on every storage: on S3 it is a
streamed multipart upload of the joined parts (boto3's upload_fileobj), and the chunk
objects are deleted afterwards. (On S3 the parts could instead be joined server-side with
UploadPartCopy, which needs every part but the last to be at least 5 MiB.)
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

COPY_BUFFER = 1024 * 1024


class StorageNameChanged(OSError):
    """The storage would have saved under another name (the name was taken)."""


def save(name: str, content: IO[bytes] | bytes) -> str:
    """Save `content` under exactly `name` (outputs are referenced by relative paths)."""
    if isinstance(content, bytes):
        content = ContentFile(content)
    saved = default_storage.save(name, content if isinstance(content, File) else File(content))
    if saved != name:
        default_storage.delete(saved)
        raise StorageNameChanged(f"{name} was saved as {saved}")
    return saved


def save_path(name: str, path: Path | str) -> str:
    with open(path, "rb") as handle:
        return save(name, handle)


def delete_quietly(name: str) -> None:
    with contextlib.suppress(Exception):
        default_storage.delete(name)


def delete_tree(prefix: str, *, keep: Iterable[str] = ()) -> None:
    """Delete every file under `prefix` (a directory of the storage), except `keep`."""
    kept = set(keep)
    try:
        directories, files = default_storage.listdir(prefix)
    except (FileNotFoundError, NotADirectoryError):
        return
    for filename in files:
        name = f"{prefix}/{filename}"
        if name not in kept:
            default_storage.delete(name)
    for directory in directories:
        delete_tree(f"{prefix}/{directory}", keep=kept)
    with contextlib.suppress(Exception):  # local storage leaves empty directories behind
        local = Path(default_storage.path(prefix))
        if local.is_dir() and not any(local.iterdir()):
            local.rmdir()


@contextlib.contextmanager
def local_path(name: str) -> Iterator[Path]:
    """A local file path for the stored file `name` (ffmpeg and pdfium need one): the file
    itself on local storage, else a temporary copy, removed afterwards."""
    try:
        path = Path(default_storage.path(name))
    except NotImplementedError:
        path = None
    if path is not None:
        if not path.exists():
            raise FileNotFoundError(name)
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="cc-media-") as tmp:
        target = Path(tmp) / os.path.basename(name)
        with default_storage.open(name, "rb") as source, open(target, "wb") as out:
            shutil.copyfileobj(source, out, COPY_BUFFER)
        yield target


def read_head(name: str, size: int) -> bytes:
    with default_storage.open(name, "rb") as handle:
        return handle.read(size)


class ConcatenatedParts(io.RawIOBase):
    """A readable stream of stored objects one after another, hashed (SHA-256) on the way."""

    def __init__(self, names: list[str]) -> None:
        self._names = list(names)
        self._current: IO[bytes] | None = None
        self.sha256 = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        while True:
            if self._current is None:
                if not self._names:
                    return 0
                self._current = default_storage.open(self._names.pop(0), "rb")
            data = self._current.read(len(buffer))
            if data:
                buffer[: len(data)] = data
                self.sha256.update(data)
                self.size += len(data)
                return len(data)
            self._current.close()
            self._current = None

    def close(self) -> None:
        if self._current is not None:
            self._current.close()
            self._current = None
        super().close()


class HashingReader(io.RawIOBase):
    """Wrap a readable file: hash (SHA-256) and count what is read through it."""

    def __init__(self, source: IO[bytes]) -> None:
        self._source = source
        self.sha256 = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        data = self._source.read(len(buffer))
        if not data:
            return 0
        buffer[: len(data)] = data
        self.sha256.update(data)
        self.size += len(data)
        return len(data)
