"""Media assets (an uploaded file and everything made from it) and resumable uploads.

Only `media.services` writes these rows. Files live in Django's default storage under
`media/<asset id>/`: the original as `original.<ext>`, and the outputs of the processing
run that made them in `media/<asset id>/<run>/` (renditions, HLS, poster, preview).
Chunks of a resumable upload live under `media/uploads/<session id>/` until it completes.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

STORAGE_PREFIX = "media"


class AssetKind(models.TextChoices):
    IMAGE = "image", _("Image")
    VIDEO = "video", _("Video")
    AUDIO = "audio", _("Audio")
    DOCUMENT = "document", _("Document")


class AssetStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for processing")
    PROCESSING = "processing", _("Processing")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Processing failed")


# Why processing failed: a stable code → the message shown (translated when shown).
ERROR_MESSAGES: dict[str, Any] = {
    "corrupt_image": _("The image could not be read: the file is damaged or incomplete."),
    "corrupt_video": _("The video could not be read: the file is damaged or incomplete."),
    "corrupt_audio": _("The audio could not be read: the file is damaged or incomplete."),
    "corrupt_document": _("The PDF could not be read: the file is damaged or incomplete."),
    "no_media_stream": _("The file contains no sound or picture that can be played."),
    "image_too_many_pixels": _("The image has too many pixels to be processed."),
    "pdf_encrypted": _("The PDF is protected by a password. Please upload it without one."),
    "pdf_empty": _("The PDF has no pages."),
    "timeout": _("Processing took too long and was stopped."),
    "original_missing": _("The uploaded file is missing from storage. Please upload it again."),
    "processing_error": _(
        "Processing failed several times because of a temporary problem on our side. "
        "Please try again later."
    ),
}


class MediaAsset(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    institution = models.ForeignKey(
        "institutions.Institution",
        verbose_name=_("institution"),
        on_delete=models.PROTECT,
        related_name="media_assets",
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=AssetKind.choices)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=AssetStatus.choices,
        default=AssetStatus.PENDING,
        db_index=True,
    )
    original = models.FileField(_("original file"), max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    mime = models.CharField(_("content type"), max_length=100)
    size = models.BigIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    error_code = models.CharField(_("error code"), max_length=40, blank=True)
    error_detail = models.CharField(_("technical detail"), max_length=500, blank=True)
    attempts = models.PositiveIntegerField(_("processing attempts"), default=0)
    # The processing run that holds the asset (outputs go to media/<id>/<run_token[:12]>/).
    run_token = models.CharField(max_length=32, blank=True)
    metadata = models.JSONField(_("metadata"), default=dict, blank=True)
    # name → {"path", "mime", "width", "height", "bitrate"}
    renditions = models.JSONField(_("renditions"), default=dict, blank=True)
    hls_path = models.CharField(_("HLS master playlist"), max_length=300, blank=True)
    poster_path = models.CharField(_("poster frame"), max_length=300, blank=True)
    preview_path = models.CharField(_("preview"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    processing_started_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("media asset")
        verbose_name_plural = _("media assets")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "updated_at"], name="media_status_updated"),
            # The staff lists (newest first) walk it and stop after the page.
            models.Index(fields=["-created_at", "id"], name="media_newest"),
        ]

    def __str__(self) -> str:
        return self.original_name or str(self.pk)

    @property
    def storage_dir(self) -> str:
        return f"{STORAGE_PREFIX}/{self.pk}"

    @property
    def error_message(self) -> str:
        if not self.error_code:
            return ""
        return str(ERROR_MESSAGES.get(self.error_code, ERROR_MESSAGES["processing_error"]))

    @staticmethod
    def url_of(path: str) -> str | None:
        return default_storage.url(path) if path else None

    def rendition_urls(self) -> dict[str, str]:
        return {name: default_storage.url(r["path"]) for name, r in self.renditions.items()}

    def best_rendition(self, name: str) -> dict[str, Any] | None:
        """The rendition `name`, or the largest smaller one when the source was too small
        for it (renditions are never upscaled)."""
        if name in self.renditions:
            return self.renditions[name]
        order = ["thumbnail", "medium", "large"]
        if name in order:
            for smaller in reversed(order[: order.index(name)]):
                if smaller in self.renditions:
                    return self.renditions[smaller]
        return None


class UploadStatus(models.TextChoices):
    OPEN = "open", _("Receiving")
    COMPLETING = "completing", _("Assembling")
    COMPLETED = "completed", _("Completed")
    FAILED = "failed", _("Refused")
    EXPIRED = "expired", _("Expired")


class UploadSession(models.Model):
    """A resumable upload: chunks arrive in order, each at the offset the server expects."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    institution = models.ForeignKey(
        "institutions.Institution", on_delete=models.CASCADE, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    filename = models.CharField(max_length=255)
    expected_size = models.BigIntegerField()
    chunk_size = models.PositiveIntegerField()
    received_bytes = models.BigIntegerField(default=0)
    # The digest the client announced (optional), checked when the upload completes.
    sha256 = models.CharField(max_length=64, blank=True)
    kinds = models.JSONField(default=list, blank=True)  # accepted kinds ([]: any)
    kind = models.CharField(max_length=16, blank=True)  # detected from the first chunk
    mime = models.CharField(max_length=100, blank=True)
    status = models.CharField(
        max_length=16, choices=UploadStatus.choices, default=UploadStatus.OPEN, db_index=True
    )
    error_code = models.CharField(max_length=40, blank=True)
    error_message = models.CharField(max_length=500, blank=True)
    asset = models.OneToOneField(
        MediaAsset, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("upload session")
        verbose_name_plural = _("upload sessions")

    def __str__(self) -> str:
        return f"{self.filename} ({self.received_bytes}/{self.expected_size})"

    @property
    def storage_dir(self) -> str:
        return f"{STORAGE_PREFIX}/uploads/{self.pk}"


class UploadChunk(models.Model):
    session = models.ForeignKey(UploadSession, on_delete=models.CASCADE, related_name="chunks")
    offset = models.BigIntegerField()
    size = models.PositiveIntegerField()
    path = models.CharField(max_length=300)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "offset"], name="media_chunk_unique_offset")
        ]
        ordering = ["offset"]

    def __str__(self) -> str:
        return f"{self.session_id}@{self.offset}"
