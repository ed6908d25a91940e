"""Public pages: browse with filters and facets, the detail page's players and JSON-LD,
favorites, comments, collections; publication makes a resource visible and searchable."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from culturecloud.core import review
from culturecloud.media.models import AssetStatus
from culturecloud.resources import services
from culturecloud.resources.models import Resource
from culturecloud.search.models import SearchDocument
from culturecloud.search.query import search_for


def jsonld_of(html: str) -> dict:
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert len(blocks) == 1
    return json.loads(blocks[0])


def test_detail_of_video_has_hls_player_poster_and_videoobject(client, published, ready_asset):
    asset = ready_asset("video")
    resource = published(
        "《春江花月夜》",
        media=asset.pk,
        description="<p>琵琶曲</p>",
        tags="琵琶,民乐",
        date="1960",
        rights="cc_by_nc",
    )
    response = client.get(reverse("resources:detail", kwargs={"pk": resource.pk}))
    assert response.status_code == 200
    html = response.content.decode()
    base = f"/media/media/{asset.pk}/run/hls"
    assert re.search(rf'<video [^>]*poster="{base}/poster.jpg"', html)
    assert f'data-hls-src="{base}/master.m3u8"' in html
    assert f'data-play-url="/api/v1/resources/{resource.pk}/play"' in html
    assert "/static/vendor/hls/hls.min.js" in html
    assert 'data-hls-worker="/static/vendor/hls/hls.worker.js"' in html
    # every script is a static file, except the JSON-LD data block
    for attrs in re.findall(r"<script([^>]*)>", html):
        assert "src=" in attrs or 'type="application/ld+json"' in attrs
    data = jsonld_of(html)
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "VideoObject"
    assert data["name"] == "《春江花月夜》"
    assert data["contentUrl"] == f"http://testserver{base}/master.m3u8"
    assert data["thumbnailUrl"] == f"http://testserver{base}/poster.jpg"
    assert data["duration"] == "PT2M5S"
    assert data["license"] == "https://creativecommons.org/licenses/by-nc/4.0/"
    assert data["publisher"]["name"] == resource.institution.name
    assert data["keywords"] == "民乐, 琵琶" and data["dateCreated"] == "1960"
    assert data["uploadDate"].startswith(str(resource.published_at.date()))


@pytest.mark.parametrize(
    ("kind", "schema_type", "markers"),
    [
        ("audio", "AudioObject",
         ['<source src="/media/media/{id}/run/audio/audio.m4a" type="audio/mp4">']),
        (
            "image",
            "ImageObject",
            ['data-image-url="/media/media/{id}/run/image/large.jpg"',
             'data-iiif-info="/iiif/{id}/info.json"',
             "/static/vendor/openseadragon/openseadragon.min.js",
             'data-prefix-url="/static/vendor/openseadragon/images/"'],
        ),
        (
            "document",
            "CreativeWork",
            ['data-pdf-url="/media/media/{id}/original.pdf"',
             'data-pdfjs-url="/static/vendor/pdfjs/pdf.min.mjs"',
             'data-worker-url="/static/vendor/pdfjs/pdf.worker.min.mjs"',
             '<img src="/media/media/{id}/run/preview/large.jpg"'],
        ),
    ],
)  # fmt: skip
def test_players_per_kind(client, published, ready_asset, kind, schema_type, markers):
    asset = ready_asset(kind)
    resource = published("资源", kind=kind, media=asset.pk)
    html = client.get(resource.get_absolute_url()).content.decode()
    for marker in markers:
        assert marker.format(id=asset.pk) in html
    assert jsonld_of(html)["@type"] == schema_type


def test_image_set_viewer_gets_every_image_in_order(client, published, ready_asset):
    first, second = ready_asset("image"), ready_asset("image")
    resource = published("组图", kind="image_set", images=[second.pk, first.pk])
    html = client.get(resource.get_absolute_url()).content.decode()
    match = re.search(r'data-images="([^"]*)"', html)
    assert match is not None
    raw = match.group(1)
    images = json.loads(raw.replace("&quot;", '"'))
    assert [i["url"] for i in images] == [
        f"/media/media/{second.pk}/run/image/large.jpg",
        f"/media/media/{first.pk}/run/image/large.jpg",
    ]
    data = jsonld_of(html)
    assert data["@type"] == "CreativeWork" and len(data["hasPart"]) == 2


def test_iiif_info_url_is_used_once_the_iiif_module_provides_it(
    client, published, ready_asset, settings
):
    """The viewer reads the info.json URL named resources:iiif_info when it exists."""
    from django.http import JsonResponse
    from django.urls import clear_url_caches, include, path

    import culturecloud.urls as root
    from culturecloud.resources import urls as resource_urls

    asset = ready_asset("image")
    resource = published("大图", kind="image", media=asset.pk)
    patterns = [
        path(
            "iiif/<str:identifier>/info.json",
            lambda request, identifier: JsonResponse({}),
            name="iiif_info",
        )
    ]

    others = [p for p in root.urlpatterns if getattr(p, "namespace", None) != "resources"]

    class Urls:
        urlpatterns = [
            path("", include(([*patterns, *resource_urls.urlpatterns], "resources"))),
            *others,
        ]

    settings.ROOT_URLCONF = Urls
    clear_url_caches()
    try:
        html = client.get(resource.get_absolute_url()).content.decode()
    finally:
        clear_url_caches()
    assert f'data-iiif-info="/iiif/{asset.pk}/info.json"' in html


def test_jsonld_cannot_be_closed_by_content(client, published):
    from culturecloud.resources.presentation import jsonld_script_body

    body = jsonld_script_body({"name": "</script><script>alert(1)</script> & more"})
    assert "<" not in body and ">" not in body and "&" not in body
    assert json.loads(body)["name"] == "</script><script>alert(1)</script> & more"
    resource = published("1 < 2 & 3 > 2", kind="document")
    html = client.get(resource.get_absolute_url()).content.decode()
    data = jsonld_of(html)  # exactly one block, and it parses
    assert data["name"] == "1 < 2 & 3 > 2"


def test_media_states_on_the_page(client, published, ready_asset, editor, make_user):
    pending = ready_asset("video", status=AssetStatus.PROCESSING)
    resource = published("处理中", media=pending.pk)
    html = client.get(resource.get_absolute_url()).content.decode()
    assert "being processed" in html and "<video" not in html

    failed = ready_asset("video", status=AssetStatus.FAILED, error_code="corrupt_video")
    broken = published("坏文件", media=failed.pk)
    url = broken.get_absolute_url()
    html = client.get(url).content.decode()
    assert "Processing failed." in html
    assert "The video could not be read" in html
    assert "Process “file.mp4” again" not in html  # the public gets no retry
    client.force_login(editor)
    html = client.get(url).content.decode()
    retry = reverse("resources:manage_retry", kwargs={"pk": broken.pk, "asset": failed.pk})
    assert f'action="{retry}"' in html
    response = client.post(retry, {"next": url})
    assert response.status_code == 302 and response["Location"] == url
    failed.refresh_from_db()
    assert failed.status in (AssetStatus.PENDING, AssetStatus.PROCESSING, AssetStatus.FAILED)
    assert failed.attempts >= 0
    # someone without EDIT_CONTENT there cannot retry
    client.force_login(make_user())
    assert client.post(retry).status_code == 403


def test_publish_makes_visible_and_indexed_unpublish_removes(
    client, make_resource, publish, reviewer, django_capture_on_commit_callbacks
):
    resource = make_resource("粤剧《帝女花》", description="<p>香夭</p>", category="drama")
    url = resource.get_absolute_url()
    assert client.get(url).status_code == 404
    assert not SearchDocument.objects.filter(doc_type="resources.resource").exists()
    publish(resource)
    assert client.get(url).status_code == 200
    assert client.get(reverse("resources:index")).content.decode().count(url) == 1
    hits = search_for(q="帝女花", types=["resources.resource"]).items
    assert [h.object_id for h in hits] == [str(resource.pk)]
    assert search_for(q="香夭").items[0].url == url
    with django_capture_on_commit_callbacks(execute=True):
        review.unpublish(resource, actor=reviewer, reason="版权")
    assert client.get(url).status_code == 404
    assert search_for(q="帝女花", types=["resources.resource"]).total == 0
    assert not SearchDocument.objects.filter(doc_type="resources.resource").exists()


def test_staff_preview_of_a_draft(client, make_resource, editor, staff):
    resource = make_resource()
    client.force_login(staff["sibling_editor"])
    assert client.get(resource.get_absolute_url()).status_code == 404
    client.force_login(editor)
    html = client.get(resource.get_absolute_url()).content.decode()
    assert "This resource is not published" in html
    resource.refresh_from_db()
    assert resource.view_count == 0


def test_browse_filters_and_region_subtree(client, tree, published, regions, ready_asset):
    music = published("琴曲", category="music", region="440117", date="1956", kind="audio")
    dance = published(
        "舞蹈", category="dance", ich_category="traditional_dance", region="440100", date="2001"
    )
    zhejiang = published("越剧", category="drama", region="330000", institution=tree.county)
    index = reverse("resources:index")

    def titles(**params) -> list[str]:
        response = client.get(index, params)
        assert response.status_code == 200
        return sorted(
            re.findall(r'<h3><a href="/resources/\d+/">([^<]+)</a></h3>', response.content.decode())
        )

    assert titles() == sorted(["琴曲", "舞蹈", "越剧"])
    assert titles(category="music") == ["琴曲"]
    assert titles(ich_category="traditional_dance") == ["舞蹈"]
    assert titles(kind="audio") == ["琴曲"]
    assert titles(year="2001") == ["舞蹈"]
    assert titles(region="440000") == sorted(["琴曲", "舞蹈"])  # the province's subtree
    assert titles(region="440100") == sorted(["琴曲", "舞蹈"])
    assert titles(region="440117") == ["琴曲"]
    assert titles(institution="gd") == sorted(["琴曲", "舞蹈", "越剧"])
    assert titles(institution="gd-gz-zc") == []
    assert {music.institution_id, dance.institution_id, zhejiang.institution_id} == {tree.county.pk}

    html = client.get(index, {"region": "440000"}).content.decode()
    assert "Remove filter Region: 广东省" in html
    facets = re.findall(r'<section aria-labelledby="facet-(\w+)">', html)
    assert facets[:3] == ["kind", "category", "ich_category"]
    assert "year" in facets and "region" in facets and "institution" in facets

    for params, message in (
        ({"category": "opera"}, "Unknown value “opera”."),
        ({"region": "999999"}, "Unknown region."),
        ({"institution": "nope"}, "Unknown institution."),
        ({"year": "20x1"}, "Give a year such as 2024."),
    ):
        response = client.get(index, params)
        assert response.status_code == 400
        html = response.content.decode()
        assert 'class="notice notice-error" role="alert"' in html and message in html


def test_browse_by_tag_and_project_and_search(client, published, editor, tree):
    project = services.create_heritage_project(
        actor=editor, institution=tree.county, name="古琴艺术", ich_category="traditional_music",
        level="national",
    )  # fmt: skip
    published("《流水》", tags="古琴", heritage_project=project.pk)
    published("《梅花三弄》", tags="笛子")
    index = reverse("resources:index")
    assert "《流水》" in client.get(index, {"tag": "古琴"}).content.decode()
    assert "《梅花三弄》" not in client.get(index, {"tag": "古琴"}).content.decode()
    assert "《梅花三弄》" not in client.get(index, {"project": project.pk}).content.decode()
    html = client.get(index, {"q": "梅花"}).content.decode()
    assert "<mark>梅花</mark>" in html and "《流水》" not in html


def test_browse_and_detail_query_counts(client, published, ready_asset, django_assert_num_queries):
    for n in range(6):
        published(f"资源{n}", media=ready_asset("video").pk, tags=f"标签{n}")
    published("组图", kind="image_set", images=[ready_asset("image").pk, ready_asset("image").pk])
    index = reverse("resources:index")
    client.get(index)  # warm
    # capped count + page + images with their assets + the facets (one query), whatever the rows
    with django_assert_num_queries(4):
        html = client.get(index).content.decode()
    assert html.count('class="res-thumb"') == 7  # every card's picture, image set included
    resource = Resource.objects.filter(kind="video").first()
    assert resource is not None
    # resource + tags + inheritors + images + comments + collections (the view is counted by
    # the page's script, not by the page)
    with django_assert_num_queries(6):
        assert client.get(resource.get_absolute_url()).status_code == 200


def test_favorites_and_comments_pages(client, published, make_user, reviewer):
    resource = published()
    url = resource.get_absolute_url()
    favorite = reverse("resources:favorite", kwargs={"pk": resource.pk})
    assert client.post(favorite).status_code == 302  # to the login page
    reader = make_user()
    client.force_login(reader)
    assert client.post(favorite).status_code == 302
    html = client.get(reverse("resources:favorites")).content.decode()
    assert url in html
    assert "In your favorites (remove)" in client.get(url).content.decode()
    client.post(favorite, {"action": "remove"})
    assert url not in client.get(reverse("resources:favorites")).content.decode()

    comment_url = reverse("resources:comment", kwargs={"pk": resource.pk})
    response = client.post(comment_url, {"body": "<img src=x onerror=alert(1)>真好听"})
    assert response.status_code == 302
    assert "真好听" not in client.get(url).content.decode()  # waiting for moderation
    comment = resource.comments.get()
    assert comment.body == "真好听"
    response = client.post(comment_url, {"body": ""})
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.content.decode()
    for n in range(10):
        response = client.post(comment_url, {"body": f"第{n}条"})
    assert response.status_code == 429
    assert "commenting too often" in response.content.decode()

    client.force_login(reviewer)
    queue = client.get(reverse("resources:manage_comments")).content.decode()
    assert "真好听" in queue
    decide = reverse(
        "resources:manage_comment_decide", kwargs={"pk": comment.pk, "decision": "approve"}
    )
    assert client.post(decide).status_code == 302
    client.logout()
    assert "真好听" in client.get(url).content.decode()


def test_views_counted_by_the_pages_script_not_by_the_page(client, published):
    resource = published()
    page = client.get(resource.get_absolute_url()).content.decode()
    view_url = reverse("api:resources_view", kwargs={"resource_id": resource.pk})
    assert f'data-view-url="{view_url}"' in page
    resource.refresh_from_db()
    assert resource.view_count == 0  # the page alone (or a bot) counts nothing
    assert client.post(view_url).json() == {"counted": True}
    assert client.post(view_url).json() == {"counted": False}  # the same visitor
    assert client.post(view_url, HTTP_USER_AGENT="another browser").json() == {"counted": True}
    resource.refresh_from_db()
    assert resource.view_count == 2


def test_counting_a_view_of_an_unpublished_or_missing_resource(client, make_resource):
    draft = make_resource()
    url = reverse("api:resources_view", kwargs={"resource_id": draft.pk})
    assert client.post(url).json() == {"counted": False}
    missing = client.post(reverse("api:resources_view", kwargs={"resource_id": 999999}))
    assert missing.json() == {"counted": False}
    draft.refresh_from_db()
    assert draft.view_count == 0


def test_collections_pages(client, tree, editor, reviewer, published):
    one = published("一")
    collection = services.create_collection(
        actor=editor, institution=tree.county, title="岭南琴韵", resource_ids=[one.pk]
    )
    url = reverse("resources:collection", kwargs={"pk": collection.pk})
    assert client.get(url).status_code == 404
    review.submit(collection, actor=editor)
    review.approve(collection, actor=reviewer)
    assert "岭南琴韵" in client.get(reverse("resources:collections")).content.decode()
    html = client.get(url).content.decode()
    assert one.get_absolute_url() in html
    assert "岭南琴韵" in client.get(one.get_absolute_url()).content.decode()


def test_home_links_the_library(client, db):
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'href="/resources/"' in html


def test_media_signals_refresh_the_page_and_the_index(
    client, published, ready_asset, django_capture_on_commit_callbacks
):
    from culturecloud.media import signals
    from culturecloud.media.services import _send

    pending = ready_asset("image", status=AssetStatus.PROCESSING)
    resource = published("待处理", kind="image", media=pending.pk)
    doc = SearchDocument.objects.get(doc_type="resources.resource", object_id=str(resource.pk))
    assert doc.image == ""
    before = Resource.objects.get(pk=resource.pk).updated_at
    done = ready_asset("image")  # what processing leaves behind, copied onto the asset
    pending.status, pending.renditions = AssetStatus.READY, done.renditions
    pending.save()
    with django_capture_on_commit_callbacks(execute=True):
        _send(signals.asset_ready, pending)
    doc.refresh_from_db()
    assert doc.image.endswith("/image/thumbnail.jpg")
    assert Resource.objects.get(pk=resource.pk).updated_at > before
    assert "data-deepzoom" in client.get(resource.get_absolute_url()).content.decode()


@pytest.mark.parametrize(
    "query",
    [
        "page=%C2%B2",
        "page=" + "9" * 5000,
        "q=%E7%90%B4&page=%C2%B2",
        "year=%C2%B2",
        "project=%C2%B2",
    ],
)
def test_non_ascii_or_huge_numbers_in_the_browse_query_are_not_a_500(client, published, query):
    published()
    response = client.get(f"{reverse('resources:index')}?{query}")
    assert response.status_code in (200, 400)
