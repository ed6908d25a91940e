"""Bulk import (manage.py import_resources and the API) and export: idempotency on
dc:identifier, the per-row error report, media under the import root, publishing, and the
export → import round trip."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from culturecloud.core.models import AuditEntry, ReviewStatus
from culturecloud.media.models import MediaAsset
from culturecloud.resources import importer
from culturecloud.resources.models import Resource

from .conftest import image_bytes

API = "/api/v1/resources"
HEADER = list(importer.COLUMNS)


def row(identifier: str, **values: str) -> dict[str, str]:
    base = {
        "dc:title": f"Title {identifier}",
        "dc:type": "MovingImage",
        "dc:identifier": identifier,
        "institution": "gd-gz-ch",
        "category": "music",
    }
    return {**base, **values}


def csv_bytes(rows: list[dict[str, str]], bom: bool = False) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=HEADER)
    writer.writeheader()
    for r in rows:
        writer.writerow({k: r.get(k, "") for k in HEADER})
    return (("\ufeff" if bom else "") + buffer.getvalue()).encode()


def run(tmp_path: Path, name: str, data: bytes, *args: str) -> tuple[str, str, bool]:
    path = tmp_path / name
    path.write_bytes(data)
    out, err = io.StringIO(), io.StringIO()
    failed = False
    try:
        call_command("import_resources", str(path), *args, stdout=out, stderr=err)
    except CommandError:
        failed = True
    return out.getvalue(), err.getvalue(), failed


@pytest.fixture
def admin(make_user):
    return make_user(is_superuser=True, is_staff=True)


GOOD = [
    row(
        "imp:1",
        **{
            "dc:title": "粤剧《帝女花》",
            "dc:creator": "红线女",
            "dc:subject": "粤剧",
            "dc:description": "<p>经典<script>x()</script>唱段</p>",
            "dc:date": "1957-05",
            "dc:format": "video/mp4",
            "dc:language": "yue",
            "dc:coverage": "440117; 1950年代",
            "dc:rights": "CC BY-NC",
            "category": "drama",
            "ich_category": "traditional_drama",
        },
    ),
    row("imp:2", **{"dc:type": "Sound", "dc:rights": "© 广州市文化馆 2020"}),
    row("imp:3", **{"dc:type": "Text", "dc:coverage": "从化区", "dc:date": "2001"}),
]


def test_csv_import_maps_dublin_core_and_is_idempotent(tmp_path, admin, tree):
    data = csv_bytes(GOOD, bom=True)
    out, err, failed = run(tmp_path, "a.csv", data)
    assert not failed, err
    assert "imported: 3, updated: 0, unchanged: 0, failed: 0" in out
    first = Resource.objects.select_related("region").get(identifier="imp:1")
    assert first.title == "粤剧《帝女花》" and first.creator == "红线女"
    assert first.kind == "video" and first.category == "drama"
    assert first.ich_category == "traditional_drama"
    assert first.date == "1957-05" and first.year == 1957
    assert first.language == "yue" and first.rights == "cc_by_nc"
    assert first.region is not None and first.region.code == "440117"
    assert first.period == "1950年代"
    assert "script" not in first.description and "经典" in first.description
    assert first.status == ReviewStatus.DRAFT
    second = Resource.objects.get(identifier="imp:2")
    assert second.kind == "audio"
    assert (second.rights, second.rights_statement) == ("in_copyright", "© 广州市文化馆 2020")
    third = Resource.objects.select_related("region").get(identifier="imp:3")
    assert third.kind == "document" and third.region is not None
    assert third.region.code == "440117"
    assert AuditEntry.objects.filter(action="resources.resource.created").count() == 3

    # the same file again: nothing changes
    out, err, failed = run(tmp_path, "a.csv", data)
    assert "imported: 0, updated: 0, unchanged: 3, failed: 0" in out
    assert Resource.objects.count() == 3
    assert AuditEntry.objects.filter(action="resources.resource.updated").count() == 0

    # one row changed: one update
    changed = [GOOD[0], {**GOOD[1], "dc:title": "新标题"}, GOOD[2]]
    out, err, failed = run(tmp_path, "b.csv", csv_bytes(changed))
    assert "imported: 0, updated: 1, unchanged: 2, failed: 0" in out
    assert Resource.objects.get(identifier="imp:2").title == "新标题"


def test_bad_rows_are_reported_and_good_rows_land(tmp_path, admin, tree):
    rows = [
        row("ok:1"),
        row("bad:type", **{"dc:type": "Hologram"}),
        row("bad:date", **{"dc:date": "May 1957"}),
        row("bad:inst", institution="nowhere"),
        row("", **{"dc:title": "No identifier"}),
        row("bad:cat", category="painting"),
        row("bad:title", **{"dc:title": ""}),
        row("ok:2", **{"dc:type": "StillImage"}),
        row("bad:url", media="https://example.com/a.jpg"),
        row("bad:path", media="../../etc/passwd"),
    ]
    out, err, failed = run(tmp_path, "bad.csv", csv_bytes(rows))
    assert failed  # exit status 1
    assert "imported: 2, updated: 0, unchanged: 0, failed: 8" in out
    lines = err.strip().splitlines()
    assert lines[0].startswith("row 2: Unknown dc:type “Hologram”")
    assert lines[1].startswith("row 3: date: Write the date as YYYY")
    assert lines[2] == "row 4: Unknown institution “nowhere”."
    assert lines[3].startswith("row 5: dc:identifier is empty")
    assert lines[4].startswith("row 6: category: Unknown art category “painting”")
    assert lines[5] == "row 7: title: This field is required."
    assert lines[6].startswith("row 9: URL media not allowed")
    assert lines[7].startswith("row 10: The media path is outside the import folder")
    assert set(Resource.objects.values_list("identifier", flat=True)) == {"ok:1", "ok:2"}
    assert not MediaAsset.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"dc:title,colour\nx,red\n", "Unknown column “colour”"),
        (b"dc:title,dc:type,institution\nx,Text,cn\n", "The column “dc:identifier” is missing"),
        (b"\xff\xfe\x00bad", "not UTF-8"),
        (b"dc:title,dc:type,dc:identifier,institution\nx\x00,Text,a,cn\n", "NUL"),
    ],
)
def test_whole_file_problems_change_nothing(tmp_path, admin, tree, data, message):
    with pytest.raises(CommandError, match=message):
        path = tmp_path / "x.csv"
        path.write_bytes(data)
        call_command("import_resources", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    assert not Resource.objects.exists()


def test_json_import_with_local_media_and_publish(tmp_path, settings, admin, tree, editor):
    settings.IMPORT_MEDIA_ROOT = tmp_path / "incoming"
    (tmp_path / "incoming").mkdir()
    (tmp_path / "incoming" / "photo.jpg").write_bytes(image_bytes(80, 60))
    rows: list[dict[str, Any]] = [
        row("j:1", **{"dc:type": "StillImage", "category": "photography"}, media="photo.jpg"),
        {**row("j:2", **{"dc:type": "Text"}), "dc:date": 1999},  # a JSON number
        row("j:3", media="missing.mp4"),
    ]
    out, err, failed = run(tmp_path, "rows.json", json.dumps(rows).encode(), "--publish")
    assert failed
    assert "imported: 2, updated: 0, unchanged: 0, failed: 1" in out
    assert "row 3: No media file at “missing.mp4”." in err
    photo = Resource.objects.select_related("media").get(identifier="j:1")
    assert photo.status == ReviewStatus.PUBLISHED
    assert photo.media is not None and photo.media.kind == "image"
    assert Resource.objects.get(identifier="j:2").date == "1999"
    approvals = AuditEntry.objects.filter(action="resources.resource.approved")
    assert approvals.count() == 2 and {e.actor_id for e in approvals} == {admin.pk}
    # the failed row left neither a resource nor a stored file behind
    assert not Resource.objects.filter(identifier="j:3").exists()
    assert MediaAsset.objects.count() == 1

    # again: unchanged (media is not uploaded twice); a changed published row without
    # --publish is refused, with --publish it is republished
    out, err, failed = run(tmp_path, "rows.json", json.dumps(rows[:2]).encode(), "--publish")
    assert "unchanged: 2" in out and MediaAsset.objects.count() == 1
    rows[1]["dc:title"] = "Changed"
    out, err, failed = run(tmp_path, "rows.json", json.dumps(rows[:2]).encode())
    assert "row 2: The resource is published" in err and "failed: 1" in out
    out, err, failed = run(tmp_path, "rows.json", json.dumps(rows[:2]).encode(), "--publish")
    assert "updated: 1, unchanged: 1, failed: 0" in out
    changed = Resource.objects.get(identifier="j:2")
    assert changed.title == "Changed" and changed.status == ReviewStatus.PUBLISHED


def test_dry_run_changes_nothing(tmp_path, admin, tree):
    out, _err, failed = run(tmp_path, "a.csv", csv_bytes([row("d:1"), row("d:2")]), "--dry-run")
    assert not failed
    assert "dry run" in out and "imported: 2" in out
    assert not Resource.objects.exists()


def test_as_user_is_scoped(tmp_path, staff, tree):
    editor = staff["editor"]  # county editor: the city is outside the scope
    rows = [row("s:1"), row("s:2", institution="gd-gz")]
    out, err, failed = run(tmp_path, "a.csv", csv_bytes(rows), "--as-user", editor.username)
    assert failed and "imported: 1" in out and "failed: 1" in out
    assert "row 2: You do not have permission" in err
    assert Resource.objects.get(identifier="s:1").created_by == editor


def test_a_row_outside_the_scope_learns_nothing_about_existing_identifiers(
    tmp_path, staff, tree, make_resource, admin
):
    make_resource("广州的草稿", identifier="city:secret", institution=tree.city, actor=admin)
    editor = staff["editor"]  # county editor: the city is outside the scope
    rows = [row("city:secret", institution="gd-gz"), row("city:unknown", institution="gd-gz")]
    out, err, failed = run(tmp_path, "a.csv", csv_bytes(rows), "--as-user", editor.username)
    assert failed and "failed: 2" in out
    # the same answer whether the identifier exists or not
    assert "row 1: You do not have permission" in err
    assert "row 2: You do not have permission" in err
    assert "another institution" not in err


def test_api_import_report_and_scope(client, staff, tree, make_user):
    client.force_login(staff["editor"])
    rows = [row("api:1"), row("api:2", institution="gd-gz"), row("api:3", media="/tmp/x.jpg")]
    response = client.post(
        f"{API}/import", {"file": SimpleUploadedFile("rows.csv", csv_bytes(rows))}
    )
    assert response.status_code == 200, response.content
    report = response.json()
    assert (report["imported"], report["failed"]) == (1, 2)
    assert [e["row"] for e in report["errors"]] == [2, 3]
    assert report["errors"][1]["message"].startswith("Local media paths")
    again = client.post(f"{API}/import", {"file": SimpleUploadedFile("r.csv", csv_bytes(rows[:1]))})
    assert again.json()["unchanged"] == 1

    citizen = make_user()
    client.force_login(citizen)
    denied = client.post(
        f"{API}/import", {"file": SimpleUploadedFile("r.csv", csv_bytes(rows[:1]))}
    )
    assert denied.status_code == 403


def test_api_import_size_limit(client, staff, tree, settings):
    settings.IMPORT_MAX_BYTES = 100
    client.force_login(staff["editor"])
    response = client.post(
        f"{API}/import", {"file": SimpleUploadedFile("rows.csv", csv_bytes([row("big")] * 5))}
    )
    assert response.status_code == 413
    assert response.json()["code"] == "file_too_large"
    assert not Resource.objects.exists()


def test_export_then_import_is_unchanged(client, staff, tree, regions, make_resource, publish):
    make_resource(
        "古琴",
        identifier="rt:1",
        creator="管平湖",
        description='<p>曲 <a href="https://example.com">链接</a></p>',
        date="1956-05-01",
        region="440117",
        period="明代",
        rights="cc_by",
        ich_category="traditional_music",
        tags="古琴, 琴曲",
    )
    publish(make_resource("版权", identifier="rt:2", kind="audio", rights_statement="© 某馆"))
    make_resource("组图", identifier="rt:3", kind="image_set", category="photography")
    client.force_login(staff["editor"])
    response = client.get(f"{API}/export", {"institution": "gd-gz-ch"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    data = response.content
    parsed = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [r["dc:identifier"] for r in parsed] == ["rt:1", "rt:2", "rt:3"]
    assert parsed[0]["dc:coverage"] == "440117; 明代" and parsed[0]["dc:rights"] == "CC BY"
    assert parsed[1]["dc:rights"] == "© 某馆" and parsed[2]["dc:type"] == "Collection"

    back = client.post(f"{API}/import", {"file": SimpleUploadedFile("rt.csv", data)})
    assert back.json() == {
        "imported": 0,
        "updated": 0,
        "unchanged": 3,
        "failed": 0,
        "dry_run": False,
        "errors": [],
    }
    # the export is staff-only
    client.logout()
    assert client.get(f"{API}/export").status_code in (401, 403)


@pytest.fixture
def image_server():
    """A loopback HTTP server answering /photo.jpg with a small JPEG (404 otherwise)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    body = image_bytes(40, 30)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/redirect":
                self.send_response(302)
                self.send_header("Location", "http://example.com/photo.jpg")
                self.end_headers()
                return
            if self.path != "/photo.jpg":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_url_media_from_an_allowed_host(client, settings, staff, tree, image_server):
    settings.IMPORT_MEDIA_URL_HOSTS = ["127.0.0.1"]
    client.force_login(staff["editor"])
    rows = [
        row("url:1", **{"dc:type": "StillImage"}, media=f"{image_server}/photo.jpg"),
        row("url:2", **{"dc:type": "StillImage"}, media=f"{image_server}/missing.jpg"),
        row("url:3", **{"dc:type": "StillImage"}, media="http://localhost/photo.jpg"),
        row("url:4", **{"dc:type": "StillImage"}, media=f"{image_server}/redirect"),
    ]
    report = client.post(
        f"{API}/import", {"file": SimpleUploadedFile("rows.csv", csv_bytes(rows))}
    ).json()
    assert (report["imported"], report["failed"]) == (1, 3), report["errors"]
    assert report["errors"][0]["message"].startswith("The media URL cannot be read")
    assert report["errors"][1]["message"].startswith("URL media not allowed")
    # a redirect (possibly to another host) is not followed
    assert report["errors"][2]["message"].startswith("The media URL cannot be read")
    photo = Resource.objects.select_related("media").get(identifier="url:1")
    assert photo.media is not None and photo.media.original_name == "photo.jpg"
    assert MediaAsset.objects.count() == 1
