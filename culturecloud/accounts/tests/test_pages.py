import io
import json
import re

import pytest
from django.urls import reverse
from PIL import Image

from culturecloud.accounts import services
from culturecloud.accounts.models import Consent, RealNameVerification, User

from .conftest import PHONE, VALID_ID, wrong

PASSWORD = "Lantern-Festival-2026"


@pytest.fixture
def logged_in(client, citizen):
    client.force_login(citizen)
    return client


def send_code_via_page(client, capture, outbox, url="accounts:login", phone=PHONE, **extra):
    with capture(execute=True):
        response = client.post(
            reverse(url), {"method": "code", "action": "send_code", "phone": phone}, **extra
        )
    return response, (outbox[-1].code if outbox else None)


@pytest.mark.parametrize("name", ["accounts:login", "accounts:signup"])
def test_login_and_signup_pages_render(db, client, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="phone"' in html
    assert 'hx-post="/accounts/login/code/"' in html
    assert 'for="id_phone"' in html
    assert "<script>" not in html and 'style="' not in html


def test_login_with_sms_code_without_javascript(
    db, client, citizen, django_capture_on_commit_callbacks, outbox
):
    response, code = send_code_via_page(client, django_capture_on_commit_callbacks, outbox)
    assert response.status_code == 200
    assert "138****5678" in response.content.decode()
    assert PHONE not in response.content.decode().replace(f'value="{PHONE}"', "")
    response = client.post(
        reverse("accounts:login"),
        {
            "method": "code",
            "action": "verify",
            "phone": PHONE,
            "code": code,
            "next": "/accounts/me/",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/me/"
    assert client.get(reverse("accounts:me")).status_code == 200


def test_send_code_with_htmx_returns_a_fragment(
    db, client, django_capture_on_commit_callbacks, outbox
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("accounts:send_code"), {"phone": PHONE}, HTTP_HX_REQUEST="true"
        )
    assert response.status_code == 200
    html = response.content.decode()
    assert "notice-success" in html and "<html" not in html
    assert len(outbox) == 1
    response = client.post(reverse("accounts:send_code"), {"phone": PHONE}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400  # rate limited: swapped in by htmx with the message
    assert "notice-error" in response.content.decode()
    response = client.post(
        reverse("accounts:send_code"), {"phone": "12345"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 400
    assert "notice-error" in response.content.decode()


def test_wrong_code_rerenders_with_error_and_lockout(
    db, client, citizen, django_capture_on_commit_callbacks, outbox, settings
):
    _response, code = send_code_via_page(client, django_capture_on_commit_callbacks, outbox)
    data = {"method": "code", "action": "verify", "phone": PHONE, "code": wrong(code)}
    response = client.post(reverse("accounts:login"), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'aria-invalid="true"' in html
    assert 'id="id_code_error"' in html
    for _ in range(settings.OTP_MAX_ATTEMPTS - 1):
        response = client.post(reverse("accounts:login"), data)
    assert response.status_code == 429
    assert client.get(reverse("accounts:me")).status_code == 302  # not logged in


def test_signup_requires_consent_and_records_it(
    db, client, django_capture_on_commit_callbacks, outbox
):
    _response, code = send_code_via_page(
        client, django_capture_on_commit_callbacks, outbox, url="accounts:signup"
    )
    data = {"method": "code", "action": "verify", "phone": PHONE, "code": code}
    response = client.post(reverse("accounts:signup"), data)
    assert response.status_code == 400
    assert "Please read and accept the user agreement and privacy policy to sign up." in (
        response.content.decode()
    )
    assert not User.objects.exists()
    response = client.post(reverse("accounts:signup"), {**data, "accept_terms": "on"})
    assert response.status_code == 302
    user = User.objects.get()
    assert Consent.objects.get(user=user).purpose == "terms"


def test_password_login_page(db, client):
    services.create_user_with_phone(phone=PHONE, password=PASSWORD)
    bad = client.post(
        reverse("accounts:login"), {"method": "password", "identifier": PHONE, "password": "x"}
    )
    assert bad.status_code == 400
    assert "errorlist" in bad.content.decode()
    response = client.post(
        reverse("accounts:login"),
        {
            "method": "password",
            "identifier": PHONE,
            "password": PASSWORD,
            "next": "https://evil.example/",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:me")  # no open redirect


def test_logout_is_post_only(logged_in):
    assert logged_in.get(reverse("accounts:logout")).status_code == 405
    response = logged_in.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert logged_in.get(reverse("accounts:me")).status_code == 302


@pytest.mark.parametrize(
    "name",
    [
        "accounts:me",
        "accounts:profile",
        "accounts:password",
        "accounts:realname",
        "accounts:delete",
        "accounts:export",
    ],
)
def test_account_pages_need_login(db, client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_my_account_page_shows_masked_data(logged_in, citizen, django_assert_max_num_queries):
    services.verify_real_name(user=citizen, name="张三", id_number=VALID_ID, consent=True)
    services.award_points(user=citizen, delta=10, reason="attendance")
    with django_assert_max_num_queries(12):
        response = logged_in.get(reverse("accounts:me"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "138****5678" in html and PHONE not in html
    assert "1101**********002X" in html and VALID_ID not in html
    assert "张*" in html
    assert reverse("accounts:export") in html and reverse("accounts:delete") in html


def test_realname_page_flow(logged_in, citizen):
    assert logged_in.get(reverse("accounts:realname")).status_code == 200
    response = logged_in.post(reverse("accounts:realname"), {"name": "张三", "id_number": VALID_ID})
    assert response.status_code == 400  # consent box not ticked
    assert not RealNameVerification.objects.exists()
    response = logged_in.post(
        reverse("accounts:realname"),
        {"name": "张三", "id_number": "110105194912310021", "consent": "on"},
    )
    assert response.status_code == 400
    assert 'id="id_id_number_error"' in response.content.decode()
    response = logged_in.post(
        reverse("accounts:realname"), {"name": "张三", "id_number": VALID_ID, "consent": "on"}
    )
    assert response.status_code == 302
    assert "1101**********002X" in logged_in.get(reverse("accounts:realname")).content.decode()


def test_realname_page_refuses_duplicate_with_409(client, citizen, make_user):
    services.verify_real_name(user=citizen, name="张三", id_number=VALID_ID, consent=True)
    other = services.create_user_with_phone(phone="13912345678")
    client.force_login(other)
    response = client.post(
        reverse("accounts:realname"), {"name": "张三", "id_number": VALID_ID, "consent": "on"}
    )
    assert response.status_code == 409
    assert "already been used" in response.content.decode()


def png_bytes(size=(100, 100)) -> io.BytesIO:
    data = io.BytesIO()
    Image.new("RGBA", size, (0, 0, 0, 0)).save(data, format="PNG")
    data.seek(0)
    data.name = "me.png"
    return data


def test_profile_page_updates_profile_and_avatar(logged_in, citizen, regions, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    assert logged_in.get(reverse("accounts:profile")).status_code == 200
    response = logged_in.post(
        reverse("accounts:profile"),
        {
            "form": "profile",
            "nickname": "小红",
            "region": "440117",
            "interests": ["music", "heritage"],
            "avatar": png_bytes(),
        },
    )
    assert response.status_code == 302, response.content.decode()
    citizen.refresh_from_db()
    assert citizen.nickname == "小红"
    assert citizen.region_id == "440117"
    assert citizen.interests == ["music", "heritage"]
    assert citizen.avatar.name.endswith(".png")


def test_profile_page_refuses_bad_uploads_and_values(
    logged_in, citizen, regions, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    fake = io.BytesIO(b"GIF89a not really")
    fake.name = "x.gif"
    response = logged_in.post(
        reverse("accounts:profile"), {"form": "profile", "nickname": "n", "avatar": fake}
    )
    assert response.status_code == 400
    assert "not an image" in response.content.decode()
    response = logged_in.post(reverse("accounts:profile"), {"form": "profile", "region": "123456"})
    assert response.status_code == 400
    response = logged_in.post(
        reverse("accounts:profile"), {"form": "profile", "interests": ["bogus"]}
    )
    assert response.status_code == 400
    citizen.refresh_from_db()
    assert citizen.nickname == "小明" and not citizen.avatar


def test_kind_form_on_profile_page(logged_in, citizen):
    response = logged_in.post(reverse("accounts:profile"), {"form": "kind", "kind": "overseas"})
    assert response.status_code == 400
    response = logged_in.post(
        reverse("accounts:profile"),
        {"form": "kind", "kind": "overseas", "organisation_name": "Musée X"},
    )
    assert response.status_code == 302
    citizen.refresh_from_db()
    assert citizen.kind == "overseas"


def test_password_page_sets_then_changes_password_and_stays_logged_in(logged_in, citizen):
    html = logged_in.get(reverse("accounts:password")).content.decode()
    assert 'name="old_password"' not in html  # SMS-only account: nothing to confirm
    response = logged_in.post(reverse("accounts:password"), {"new_password": PASSWORD})
    assert response.status_code == 302
    response = logged_in.post(
        reverse("accounts:password"), {"old_password": "bad", "new_password": "Other-2026-pw"}
    )
    assert response.status_code == 400
    response = logged_in.post(
        reverse("accounts:password"), {"old_password": PASSWORD, "new_password": "Other-2026-pw"}
    )
    assert response.status_code == 302
    assert logged_in.get(reverse("accounts:me")).status_code == 200


def test_export_download(logged_in, citizen):
    response = logged_in.get(reverse("accounts:export"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    assert json.loads(response.content)["account"]["mobile_number"] == PHONE


def test_delete_page_confirms_then_erases_and_logs_out(logged_in, citizen):
    assert logged_in.get(reverse("accounts:delete")).status_code == 200
    response = logged_in.post(reverse("accounts:delete"), {})
    assert response.status_code == 400
    citizen.refresh_from_db()
    assert citizen.is_active
    response = logged_in.post(reverse("accounts:delete"), {"confirm": "on"})
    assert response.status_code == 302
    citizen.refresh_from_db()
    assert citizen.erased_at is not None and citizen.phone_masked == ""
    assert logged_in.get(reverse("accounts:me")).status_code == 302


def test_pages_follow_the_language_cookie(db, client):
    client.cookies["django_language"] = "zh-hans"
    assert '<html lang="zh-hans"' in client.get(reverse("accounts:login")).content.decode()
    client.cookies["django_language"] = "en"
    html = client.get(reverse("accounts:login")).content.decode()
    assert '<html lang="en"' in html
    assert "With an SMS code" in html


def test_realname_consent_can_be_withdrawn_from_the_page(logged_in, citizen):
    services.verify_real_name(user=citizen, name="张三", id_number=VALID_ID, consent=True)
    response = logged_in.post(reverse("accounts:realname"), {"action": "withdraw"})
    assert response.status_code == 302
    assert not RealNameVerification.objects.exists()
    assert 'name="id_number"' in logged_in.get(reverse("accounts:realname")).content.decode()


# --- the SMS form: natural order, Enter does the next step ---------------------------------


def code_form_html(html: str) -> str:
    start = html.index('class="stack code-form"')
    return html[start : html.index("</form>", start)]


@pytest.mark.parametrize("name", ["accounts:login", "accounts:signup"])
def test_code_form_order_is_number_send_code_log_in(db, client, name):
    form = code_form_html(client.get(reverse(name)).content.decode())
    controls = re.findall(r'<button[^>]*value="(\w+)"|<input[^>]*id="id_(\w+)"', form)
    order = [button or field for button, field in controls]
    # The form's default button (Enter) comes first, then what the eye and Tab see.
    assert order[0] == "continue"
    assert order[1:] == ["phone", "send_code", "code", "accept_terms", "verify"]
    found = re.search(r'<button[^>]*value="continue"[^>]*>', form)
    assert found is not None
    default = found.group(0)
    assert 'tabindex="-1"' in default and 'aria-hidden="true"' in default
    assert 'type="submit"' in default
    assert "visually-hidden" in default


def test_enter_in_the_number_field_sends_a_code(
    db, client, citizen, django_capture_on_commit_callbacks, outbox
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("accounts:login"),
            {"method": "code", "action": "continue", "phone": PHONE, "code": ""},
        )
    assert response.status_code == 200
    assert len(outbox) == 1
    html = response.content.decode()
    assert "138****5678" in html
    assert "Please enter the code" not in html
    code_input = re.search(r'<input[^>]*id="id_code"[^>]*>', html)
    assert code_input is not None and "autofocus" in code_input.group(0)
    # Enter in the code field, with the code typed, logs in.
    response = client.post(
        reverse("accounts:login"),
        {"method": "code", "action": "continue", "phone": PHONE, "code": outbox[-1].code},
    )
    assert response.status_code == 302
    assert client.get(reverse("accounts:me")).status_code == 200


def test_enter_on_sign_up_with_a_code_needs_the_terms(
    db, client, django_capture_on_commit_callbacks, outbox
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("accounts:signup"), {"method": "code", "action": "continue", "phone": PHONE}
        )
    assert response.status_code == 200  # sending a code does not ask for the terms yet
    assert len(outbox) == 1
    data = {"method": "code", "action": "continue", "phone": PHONE, "code": outbox[-1].code}
    response = client.post(reverse("accounts:signup"), data)
    assert response.status_code == 400
    assert "Please read and accept the user agreement and privacy policy to sign up." in (
        response.content.decode()
    )
    assert not User.objects.exists()
    response = client.post(reverse("accounts:signup"), {**data, "accept_terms": "on"})
    assert response.status_code == 302
    assert User.objects.count() == 1


def test_log_in_button_without_a_code_asks_for_it(db, client, citizen, outbox):
    response = client.post(
        reverse("accounts:login"), {"method": "code", "action": "verify", "phone": PHONE}
    )
    assert response.status_code == 400
    assert "Please enter the code we sent you." in response.content.decode()
    assert outbox == []


def test_required_checkboxes_say_what_to_do(logged_in, citizen):
    response = logged_in.post(reverse("accounts:realname"), {"name": "张三", "id_number": VALID_ID})
    assert response.status_code == 400
    assert "Please agree to the processing of your ID number" in response.content.decode()
    response = logged_in.post(reverse("accounts:delete"), {})
    assert response.status_code == 400
    assert "Please confirm that you want to delete your account." in response.content.decode()
    assert "This field is required." not in response.content.decode()
