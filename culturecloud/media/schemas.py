from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from ninja import Schema
from pydantic import Field


class RenditionOut(Schema):
    name: str
    url: str
    mime: str
    width: int | None = None
    height: int | None = None
    bitrate: int | None = None


class AssetOut(Schema):
    id: uuid.UUID
    institution_code: str
    kind: str = Field(description="image, video, audio or document")
    kind_label: str
    status: str = Field(description="pending, processing, ready or failed")
    status_label: str
    original_name: str
    mime: str = Field(description="Content type detected from the file's content.")
    size: int
    sha256: str
    error_code: str = Field(description="Why processing failed (stable code); empty otherwise.")
    error_message: str = Field(description="The reason, in the request's language.")
    attempts: int
    metadata: dict[str, Any] = Field(
        description="width/height, duration (s), bitrate, page_count … by kind."
    )
    renditions: list[RenditionOut]
    original_url: str
    hls_url: str | None = Field(None, description="HLS master playlist (video).")
    poster_url: str | None = None
    preview_url: str | None = Field(
        None, description="A picture of the file: image, video poster, PDF first page."
    )
    can_retry: bool
    created_at: datetime
    processed_at: datetime | None


class SessionIn(Schema):
    institution: str = Field(max_length=64, description="Code of the owning institution.")
    filename: str = Field(min_length=1, max_length=1000)
    size: int = Field(ge=1, description="Size of the whole file in bytes.")
    sha256: str = Field("", max_length=64, description="Optional SHA-256 of the whole file.")
    kinds: list[str] = Field(
        default_factory=list, max_length=4, description="Accepted kinds (empty: any)."
    )


class SessionOut(Schema):
    id: uuid.UUID
    institution_code: str
    filename: str
    expected_size: int
    offset: int = Field(description="Bytes received so far: where the next chunk starts.")
    chunk_size: int = Field(description="Size of the chunks to send (the last may be shorter).")
    max_chunk_size: int
    status: str = Field(description="open, completing, completed, failed or expired")
    kind: str
    mime: str
    error_code: str
    error_message: str
    expires_at: datetime
    asset_id: uuid.UUID | None
    chunk_url: str
    complete_url: str
