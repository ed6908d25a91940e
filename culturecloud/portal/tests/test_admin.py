import pytest

from culturecloud.core.audit import record
from culturecloud.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_anonymous_is_sent_to_the_admin_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_staff_flag_without_superuser_is_refused(client, make_user):
    client.force_login(make_user(is_staff=True))
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert client.get("/admin/core/auditentry/").status_code == 302


def test_institution_administrator_is_refused(client, make_user, tree):
    client.force_login(make_user(role="admin", institution=tree.national, is_staff=True))
    assert client.get("/admin/").status_code == 302


def test_inactive_superuser_is_refused(client, make_user):
    user = make_user(is_staff=True, is_superuser=True)
    client.force_login(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert client.get("/admin/").status_code == 302


def test_staff_non_superuser_cannot_log_in_through_the_admin_form(client, make_user):
    user = make_user(is_staff=True)
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": user.username, "password": "pw-Secret-123", "next": "/admin/"},
    )
    # The password is right, but the admin index still refuses: never the admin itself.
    assert response.status_code == 302
    index = client.get("/admin/")
    assert index.status_code == 302
    assert index["Location"].startswith("/admin/login/")


def test_superuser_gets_the_translated_admin(client, make_user):
    client.force_login(make_user(is_staff=True, is_superuser=True))
    response = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "CultureCloud administration" in response.content.decode()


def test_audit_log_is_read_only_in_the_admin(client, make_user):
    admin_user = make_user(is_staff=True, is_superuser=True)
    entry = record("portal.test.done", actor=admin_user, target=admin_user, after={"x": 1})
    client.force_login(admin_user)

    listing = client.get("/admin/core/auditentry/")
    assert listing.status_code == 200
    assert "portal.test.done" in listing.content.decode()

    detail = client.get(f"/admin/core/auditentry/{entry.pk}/change/")
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()

    assert client.get("/admin/core/auditentry/add/").status_code == 403
    assert (
        client.post(f"/admin/core/auditentry/{entry.pk}/change/", {"action": "x"}).status_code
        == 403
    )
    assert (
        client.post(f"/admin/core/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    entry.refresh_from_db()
    assert entry.action == "portal.test.done"
    assert AuditEntry.objects.count() == 1
