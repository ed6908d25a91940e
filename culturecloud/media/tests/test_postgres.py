"""Races on PostgreSQL: the same chunk twice at once, two completions at once, two
processing runs of one asset at once; and a real Celery worker processing an upload.

Run with DATABASE_URL=postgres://… (and REDIS_URL for the worker test); they fail, never
skip, without the servers.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections

from culturecloud.core.errors import ServiceError
from culturecloud.media import services
from culturecloud.media.models import AssetStatus, MediaAsset, UploadChunk, UploadSession

from .conftest import image_bytes

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_together(*calls: Callable[[], Any]) -> list[Any]:
    """Start every call at the same moment in its own thread (own connection)."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def worker(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[index] = call()
        except Exception as exc:
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def stored(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_the_same_chunk_twice_at_once_is_recorded_once(tree, editor, settings):
    assert connection.vendor == "postgresql", "needs DATABASE_URL=postgres://..."
    settings.MEDIA_UPLOAD_MIN_CHUNK_BYTES = 8192
    data = image_bytes(200, 200, "PNG")
    session = services.create_upload_session(
        actor=editor, institution=tree.county, filename="a.png", size=len(data)
    )

    def send() -> UploadSession:
        fresh = UploadSession.objects.select_related("institution").get(pk=session.pk)
        return services.receive_chunk(actor=editor, session=fresh, offset=0, data=data)

    results = run_together(send, send, send)
    assert all(isinstance(r, UploadSession) for r in results), results
    assert {r.received_bytes for r in results} == {len(data)}
    assert UploadChunk.objects.filter(session=session).count() == 1
    parts = [p for p in stored(settings.MEDIA_ROOT) if p.endswith(".part")]
    assert len(parts) == 1  # the losers deleted what they had stored


def test_two_completions_at_once_make_one_asset(tree, editor, settings):
    assert connection.vendor == "postgresql"
    data = image_bytes(64, 64, "PNG")
    session = services.create_upload_session(
        actor=editor, institution=tree.county, filename="a.png", size=len(data)
    )
    services.receive_chunk(actor=editor, session=session, offset=0, data=data)

    def complete() -> Any:
        fresh = UploadSession.objects.select_related("institution").get(pk=session.pk)
        return services.complete_upload(actor=editor, session=fresh)

    results = run_together(complete, complete)
    assets = [r for r in results if isinstance(r, MediaAsset)]
    refused = [r for r in results if isinstance(r, ServiceError)]
    assert assets, results
    assert all(r.code == "upload_busy" for r in refused), results
    assert MediaAsset.objects.count() == 1
    assert len({a.pk for a in assets}) == 1
    originals = [p for p in stored(settings.MEDIA_ROOT) if "original" in p]
    assert len(originals) == 1


def test_two_processing_runs_at_once_publish_one_set_of_outputs(tree, editor, settings):
    assert connection.vendor == "postgresql"
    asset = services.create_asset_from_upload(
        actor=editor,
        institution=tree.county,
        uploaded_file=SimpleUploadedFile("p.jpg", image_bytes(1200, 900)),
    )  # (with Redis the queued task waits for a worker that is not there)
    MediaAsset.objects.filter(pk=asset.pk).update(status=AssetStatus.PENDING)

    def process() -> Any:
        return services.run_processing(asset_id=str(asset.pk))

    run_together(process, process)
    asset.refresh_from_db()
    assert asset.status == AssetStatus.READY
    for rendition in asset.renditions.values():
        assert default_storage.exists(rendition["path"])
    # Only the published run's directory is left beside the original.
    directories, files = default_storage.listdir(asset.storage_dir)
    assert files == ["original.jpg"]
    assert directories == [asset.run_token[:12]]


# --- a real worker --------------------------------------------------------------------------


def _database_url() -> str:
    db = connection.settings_dict
    user = quote(db.get("USER") or "")
    password = quote(db.get("PASSWORD") or "")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or "5432"
    return f"postgres://{auth}{host}:{port}/{db['NAME']}"


@pytest.mark.celery_worker
def test_real_worker_processes_an_upload(tree, editor, settings, tmp_path):
    assert connection.vendor == "postgresql", "needs DATABASE_URL=postgres://..."
    assert settings.REDIS_URL, "needs REDIS_URL=redis://..."
    assert not settings.CELERY_TASK_ALWAYS_EAGER
    var = tmp_path / "var"
    settings.MEDIA_ROOT = var / "media"  # where the worker (CULTURECLOUD_VAR_DIR) writes
    env = {k: v for k, v in os.environ.items() if k != "CELERY_TASK_ALWAYS_EAGER"}
    env.update(
        DJANGO_SETTINGS_MODULE="culturecloud.settings",
        DATABASE_URL=_database_url(),
        REDIS_URL=settings.REDIS_URL,
        SECRET_KEY=settings.SECRET_KEY,
        FIELD_ENCRYPTION_KEY=settings.FIELD_ENCRYPTION_KEY,
        CULTURECLOUD_VAR_DIR=str(var),
    )
    log_path = tmp_path / "worker.log"
    with log_path.open("w") as log:
        worker = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "culturecloud", "worker",
                "--loglevel=INFO", "--pool=solo", "--without-gossip", "--without-mingle",
                "--without-heartbeat", "--hostname", f"media-{secrets.token_hex(4)}@%h",
            ],
            cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            asset = services.create_asset_from_upload(
                actor=editor,
                institution=tree.county,
                uploaded_file=SimpleUploadedFile("p.png", image_bytes(500, 400, "PNG")),
            )  # commits; the task goes to Redis
            deadline = time.monotonic() + 60
            asset.refresh_from_db()
            while asset.status not in (AssetStatus.READY, AssetStatus.FAILED):
                assert worker.poll() is None, "the worker died:\n" + log_path.read_text()
                assert time.monotonic() < deadline, "not processed:\n" + log_path.read_text()
                time.sleep(0.2)
                asset.refresh_from_db()
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait(timeout=10)
    assert asset.status == AssetStatus.READY, asset.error_detail
    assert "process_asset" in log_path.read_text()
    assert (var / "media" / asset.renditions["thumbnail"]["path"]).is_file()
