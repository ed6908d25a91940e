import datetime as dt
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from culturecloud.accounts import services, tasks
from culturecloud.accounts.models import (
    ApiToken,
    Consent,
    OneTimeCode,
    PointsEntry,
    RealNameVerification,
    User,
)
from culturecloud.core.models import AuditEntry
from culturecloud.institutions.models import Membership

from .conftest import PHONE, VALID_ID, error_of


def png_upload(name: str = "me.png", size: tuple[int, int] = (64, 64)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@pytest.fixture
def full_account(citizen, regions, tree, settings, tmp_path, send_code):
    settings.MEDIA_ROOT = tmp_path
    services.update_profile(
        user=citizen,
        nickname="小明",
        region_code="440117",
        interests=["music", "opera"],
        avatar=png_upload(),
    )
    services.verify_real_name(
        user=citizen, name="张三", id_number=VALID_ID, consent=True, ip="10.0.0.5"
    )
    services.award_points(user=citizen, delta=10, reason="attendance", reference="events.ticket:1")
    services.issue_api_token(user=citizen, name="mini-program")
    Membership.objects.create(user=citizen, institution=tree.county, role="editor")
    send_code()
    return citizen


def test_export_contains_everything_about_me(full_account, django_assert_max_num_queries):
    user = full_account
    with django_assert_max_num_queries(10):
        data = services.export_user_data(user=user)
    json.dumps(data)  # JSON-ready
    account = data["account"]
    assert account["mobile_number"] == PHONE  # my own number, in full
    assert account["mobile_number_masked"] == "138****5678"
    assert account["nickname"] == "小明"
    assert account["region"] == {"code": "440117", "name": "从化区"}
    assert account["interests"] == ["music", "opera"]
    assert account["avatar"].startswith("/media/avatars/")
    assert data["real_name"]["id_number"] == "1101**********002X"
    assert VALID_ID not in json.dumps(data)
    assert [c["purpose"] for c in data["consents"]] == ["realname"]
    assert data["points"]["balance"] == 10
    assert data["points"]["entries"][0]["reference"] == "events.ticket:1"
    assert data["memberships"] == [
        {"institution": "gd-gz-ch", "institution_name": "从化区文化馆", "role": "editor"}
    ]
    assert data["api_tokens"][0]["name"] == "mini-program"
    assert "key_digest" not in json.dumps(data)
    actions = {a["action"] for a in data["activity"]}
    assert {"accounts.realname.verified", "accounts.profile.updated"} <= actions
    assert AuditEntry.objects.filter(action="accounts.data.exported", actor=user).exists()


def test_erase_removes_personal_data_and_keeps_legal_records(
    full_account, settings, django_capture_on_commit_callbacks
):
    user = full_account
    avatar_path = settings.MEDIA_ROOT / user.avatar.name
    assert avatar_path.exists()
    points_before = PointsEntry.objects.filter(user=user).count()
    audit_before = AuditEntry.objects.filter(actor=user).count()
    with django_capture_on_commit_callbacks(execute=True):
        services.erase_account(user=user, confirm=True)
    user.refresh_from_db()
    # Erased
    assert user.phone_digest is None
    assert user.phone_encrypted == "" and user.phone_masked == ""
    assert user.nickname == "" and not user.avatar and user.region is None and user.interests == []
    assert not user.is_active and user.erased_at is not None
    assert not user.has_usable_password()
    assert user.username == services.pseudonym(user)
    assert not RealNameVerification.objects.filter(user=user).exists()
    assert not ApiToken.objects.filter(user=user).exists()
    assert not OneTimeCode.objects.exists()
    assert not avatar_path.exists()
    # Kept
    assert PointsEntry.objects.filter(user=user).count() == points_before
    assert Consent.objects.filter(user=user, withdrawn_at__isnull=False).count() == 1
    assert Membership.objects.filter(user=user).exists()  # inert: the user is inactive
    entries = AuditEntry.objects.filter(actor=user)
    assert entries.count() == audit_before + 1
    assert set(entries.values_list("actor_label", flat=True)) == {services.pseudonym(user)}
    assert "小明" not in repr(list(AuditEntry.objects.values()))
    assert "138****5678" not in repr(list(AuditEntry.objects.values()))
    erased = AuditEntry.objects.get(action="accounts.account.erased")
    assert erased.target_label == services.pseudonym(user)


def test_erased_person_can_sign_up_again_with_the_same_number_and_id(
    full_account, send_code, settings
):
    settings.OTP_RATE_PER_PHONE = (100, 60)
    services.erase_account(user=full_account, confirm=True)
    code = send_code()
    user, created = services.verify_code(phone=PHONE, code=code, accept_terms=True)
    assert created and user.pk != full_account.pk
    services.verify_real_name(user=user, name="张三", id_number=VALID_ID, consent=True)


def test_erase_needs_confirmation_and_password(citizen):
    err = error_of(services.erase_account, user=citizen, confirm=False)
    assert err.code == "confirmation_required"
    services.set_password(user=citizen, new_password="Lantern-Festival-2026")
    err = error_of(services.erase_account, user=citizen, confirm=True, password="wrong")
    assert err.code == "wrong_password"
    citizen.refresh_from_db()
    assert citizen.is_active and citizen.phone_masked
    services.erase_account(user=citizen, confirm=True, password="Lantern-Festival-2026")
    assert error_of(services.erase_account, user=citizen, confirm=True).code == "already_erased"


def test_a_module_can_refuse_erasure_and_nothing_changes(citizen):
    from culturecloud.core.errors import Conflict

    def refuse(sender, user, **kwargs):
        raise Conflict("An order is not finished.", code="open_orders")

    services.account_erasing.connect(refuse)
    try:
        assert error_of(services.erase_account, user=citizen, confirm=True).code == "open_orders"
    finally:
        services.account_erasing.disconnect(refuse)
    citizen.refresh_from_db()
    assert citizen.is_active and citizen.phone_digest and citizen.nickname == "小明"


def test_finish_account_erasures_drops_ips_after_retention(full_account):
    user = full_account
    services.erase_account(user=user, confirm=True)
    assert (
        AuditEntry.objects.filter(actor=user).exclude(ip="").count() == 0
    )  # test client IPs empty
    AuditEntry.objects.filter(actor=user).update(ip="10.0.0.5", user_agent="Mozilla/5.0")
    assert tasks.finish_account_erasures.delay().get() == 0  # within the retention period
    later = timezone.now() + dt.timedelta(days=services.LOG_RETENTION_DAYS + 1)
    User.objects.filter(pk=user.pk).update(erased_at=timezone.now() - dt.timedelta(days=200))
    AuditEntry.objects.filter(actor=user).update(created_at=timezone.now() - dt.timedelta(days=200))
    scrubbed = services.finish_account_erasures(now=later - dt.timedelta(days=1))
    assert scrubbed > 0
    assert not AuditEntry.objects.filter(actor=user).exclude(ip="").exists()
    assert not Consent.objects.filter(user=user).exclude(ip="").exists()
    assert services.finish_account_erasures(now=later) == 0  # idempotent
