"""Staff pages (/resources/manage/…): scope, the metadata form with the upload widget, submitting,
the workbench review queue listing resources, collections."""

from __future__ import annotations

import re

from django.urls import reverse

from culturecloud.core.models import ReviewStatus
from culturecloud.core.queries import review_queue
from culturecloud.resources.models import Collection, Resource


def form_data(**extra):
    data = {
        "institution": "gd-gz-ch",
        "title": "狮舞《醒狮》",
        "kind": "video",
        "category": "dance",
        "ich_category": "traditional_dance",
        "audience": "general",
        "rights": "cc_by",
        "language": "zh",
        "tags": "醒狮, 南狮",
        "description": "<p>南狮</p><script>x()</script>",
    }
    data.update(extra)
    return data


def test_pages_need_an_editor(client, staff, make_user):
    url = reverse("resources:manage")
    assert url == "/resources/manage/"
    assert client.get(url).status_code == 302
    client.force_login(make_user())
    assert client.get(url).status_code == 403
    client.force_login(staff["reviewer"])
    assert client.get(url).status_code == 403
    assert client.get(reverse("resources:manage_comments")).status_code == 200


def test_create_then_edit_with_upload_widget_and_submit(client, editor, reviewer, ready_asset):
    client.force_login(editor)
    response = client.get(reverse("resources:manage_new"))
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r'<label for="id_title">', html) and 'name="category"' in html
    response = client.post(reverse("resources:manage_new"), form_data(category="opera"))
    assert response.status_code == 400
    assert not Resource.objects.exists()
    response = client.post(reverse("resources:manage_new"), form_data())
    assert response.status_code == 302
    resource = Resource.objects.get()
    assert resource.description == "<p>南狮</p>"
    edit = reverse("resources:manage_edit", kwargs={"pk": resource.pk})
    assert response["Location"] == edit
    html = client.get(edit).content.decode()
    assert "data-media-upload" in html and 'data-kinds="video"' in html
    assert 'name="new_media"' in html
    # the widget filled in the uploaded asset's id; saving attaches it and submits
    asset = ready_asset("video")
    response = client.post(edit, form_data(new_media=str(asset.pk), submit="1"))
    assert response.status_code == 302
    resource.refresh_from_db()
    assert resource.media == asset and resource.status == ReviewStatus.PENDING
    # the reviewer sees it in the workbench queue and its preview
    client.force_login(reviewer)
    assert [item.obj for item in review_queue(reviewer)] == [resource]
    html = client.get(reverse("workbench:queue")).content.decode()
    assert "狮舞《醒狮》" in html
    preview = client.get(
        reverse(
            "workbench:review_item",
            kwargs={"content_type": "resources.resource", "pk": resource.pk},
        )
    ).content.decode()
    assert "Traditional dance" in preview and resource.identifier in preview


def test_list_is_scoped_and_offers_submit(client, staff, make_resource):
    resource = make_resource("从化资源")
    client.force_login(staff["sibling_editor"])
    assert "从化资源" not in client.get(reverse("resources:manage")).content.decode()
    assert (
        client.get(reverse("resources:manage_edit", kwargs={"pk": resource.pk})).status_code == 404
    )
    client.force_login(staff["city_editor"])
    html = client.get(reverse("resources:manage")).content.decode()
    assert "从化资源" in html
    submit = reverse(
        "workbench:review_action",
        kwargs={"content_type": "resources.resource", "pk": resource.pk, "action": "submit"},
    )
    assert f'action="{submit}"' in html
    assert client.post(submit).status_code == 302
    resource.refresh_from_db()
    assert resource.status == ReviewStatus.PENDING


def test_collection_pages(client, editor, published):
    one, two = published("一"), published("二")
    client.force_login(editor)
    url = reverse("resources:manage_collection_new")
    response = client.post(
        url, {"institution": "gd-gz-ch", "title": "专题", "resources": f"{two.pk}, 424242"}
    )
    assert response.status_code == 400 and "Unknown resource" in response.content.decode()
    response = client.post(
        url, {"institution": "gd-gz-ch", "title": "专题", "resources": f"{two.pk} {one.pk}"}
    )
    assert response.status_code == 302
    collection = Collection.objects.get()
    assert list(collection.items.values_list("resource_id", flat=True)) == [two.pk, one.pk]
    html = client.get(reverse("resources:manage_collections")).content.decode()
    assert "专题" in html
