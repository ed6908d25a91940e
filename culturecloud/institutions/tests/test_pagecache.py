"""Tree writes (move, merge) change public pages with UPDATE statements, which send no
post_save: the shared cache of public answers must still drop what it kept."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from culturecloud.core import pagecache
from culturecloud.institutions import services

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("public_response_cache")]


@pytest.fixture
def superuser(make_user):
    return make_user(is_superuser=True)


def detail(code: str) -> str:
    return reverse("institutions:detail", kwargs={"code": code})


def test_a_merge_drops_the_kept_page_of_the_merged_institution(
    tree, superuser, django_capture_on_commit_callbacks
):
    url = detail(tree.sibling_county.code)
    assert Client().get(url).status_code == 200
    assert Client().get(url)[pagecache.HEADER] == "hit"
    with django_capture_on_commit_callbacks(execute=True):
        services.merge_institutions(actor=superuser, source=tree.sibling_county, target=tree.county)
    response = Client().get(url)
    assert response.status_code == 301  # to the institution it was merged into
    assert response["Location"] == detail(tree.county.code)


def test_a_move_drops_kept_answers_that_show_the_old_parent(
    tree, superuser, django_capture_on_commit_callbacks
):
    url = f"/api/v1/institutions/{tree.township.code}"
    assert Client().get(url).json()["parent_code"] == tree.county.code
    assert Client().get(url)[pagecache.HEADER] == "hit"
    with django_capture_on_commit_callbacks(execute=True):
        services.move_institution(
            actor=superuser, institution=tree.township, new_parent=tree.sibling_county
        )
    moved = Client().get(url)
    assert moved[pagecache.HEADER] == "miss"
    assert moved.json()["parent_code"] == tree.sibling_county.code
