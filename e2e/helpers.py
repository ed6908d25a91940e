"""What the journeys share: the server under test, logging in, one-time codes, test data,
translated texts and the accessibility check (axe-core from npm).

Nothing here knows a journey; a journey is one file in e2e/journeys/ that uses these.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import random
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils import translation
from playwright.sync_api import BrowserContext, Page, expect

from culturecloud.accounts.idnumber import check_char, parse

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"

# Demo logins (README "Demo logins", loaded by `manage.py seed_demo`).
DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 -- published in README, demo only
COUNTY_ADMIN = "13800000121"  # admin 管理员, 从化区文化馆
COUNTY_REVIEWER = "13800000123"  # reviewer 审核员, 从化区文化馆
TOWNSHIP_EDITOR = "13800000132"  # editor 编辑, 从化区太平镇综合文化站
TOWNSHIP_CODE = "gd-gz-ch-tp"  # 从化区太平镇综合文化站
COUNTY_CODE = "gd-gz-ch"  # 从化区文化馆
# Demo citizens 13800001001 … 13800001010; each test that needs a person takes its own.
DEMO_CITIZENS = [f"1380000{n}" for n in range(1001, 1011)]

LANGUAGES = ("zh-hans", "en")
BROWSER_LOCALES = {"zh-hans": "zh-CN", "en": "en-US"}


@dataclass(frozen=True)
class Device:
    name: str
    width: int
    height: int
    mobile: bool

    def context_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {"viewport": {"width": self.width, "height": self.height}}
        if self.mobile:
            options.update(is_mobile=True, has_touch=True, device_scale_factor=3)
        return options


DEVICES = {
    "phone": Device("phone", 390, 844, mobile=True),
    "desktop": Device("desktop", 1280, 800, mobile=False),
}


@dataclass
class Server:
    """The running site: its address, its captured log and the personal data typed into it."""

    url: str
    log_path: Path
    # Full phone and ID numbers the journeys typed; none may ever appear in the log.
    personal_data: set[str] = field(default_factory=set)
    # Session cookies of demo accounts that have logged in once (logging in is slow on
    # purpose: PBKDF2); later journeys reuse them.
    sessions: dict[str, list[Any]] = field(default_factory=dict)
    _citizens: Iterator[str] = field(default_factory=lambda: iter(DEMO_CITIZENS))

    def log_lines(self) -> list[str]:
        return self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()

    def log_records(self) -> list[dict[str, Any]]:
        """The JSON lines of the server's log (runserver's own plain lines are skipped)."""
        records = []
        for line in self.log_lines():
            if line.startswith("{"):
                try:
                    records.append(json.loads(line))
                except ValueError:
                    continue
        return records

    def demo_citizen(self) -> str:
        """A demo citizen no other test of this run has used."""
        phone = next(self._citizens)
        self.personal_data.add(phone)
        return phone


# --- translated texts ---------------------------------------------------------------------


def t(lang: str, message: str) -> str:
    """`message` (an English msgid) as the server shows it in `lang` (same .mo files)."""
    with translation.override(lang):
        return str(translation.gettext(message))


# --- test data ----------------------------------------------------------------------------

_unique = itertools.count(random.randrange(1000, 5000))


def new_phone() -> str:
    """A mainland mobile number nobody in the demo data has, unique in this run also when
    masked (138****NNNN), so the one-time code in the log belongs to it alone."""
    return f"139{random.randrange(10_000):04d}{next(_unique):04d}"


def new_id_number(region: str = "440117") -> str:
    """A valid resident ID number (GB 11643 check character) that no other test uses."""
    birth = dt.date(1950, 1, 1) + dt.timedelta(days=random.randrange(50 * 365))
    sequence = f"{next(_unique) % 1000:03d}"
    first17 = f"{region}{birth:%Y%m%d}{sequence}"
    number = first17 + check_char(first17)
    parse(number)
    return number


def masked_phone(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}"


def masked_id(number: str) -> str:
    return f"{number[:4]}{'*' * 10}{number[-4:]}"


def unique_title(prefix: str) -> str:
    return f"{prefix} {dt.datetime.now():%H%M%S}-{next(_unique)}"


# --- one-time codes -----------------------------------------------------------------------

_CODE_LINE = re.compile(r"one-time code for (?P<masked>\S+): (?P<code>\d{6})")


def read_one_time_code(server: Server, phone: str, *, timeout: float = 10.0) -> str:
    """The latest code the development SMS backend (LogSmsBackend) logged for `phone`.

    The backend logs the number masked, so the masked form must be unique in the run
    (see `new_phone`)."""
    wanted = masked_phone(phone)
    deadline = time.monotonic() + timeout
    while True:
        codes = [
            match["code"]
            for record in server.log_records()
            if record.get("logger") == "culturecloud.accounts.sms"
            and (match := _CODE_LINE.search(str(record.get("message", ""))))
            and match["masked"] == wanted
        ]
        if codes:
            return codes[-1]
        if time.monotonic() > deadline:
            raise AssertionError(f"no one-time code for {wanted} in {server.log_path}")
        time.sleep(0.1)


# --- accessibility ------------------------------------------------------------------------

SERIOUS = ("serious", "critical")


def format_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:10]:
            target = " ".join(str(t) for t in node.get("target", []))
            lines.append(f"    at {target}")
            lines.append(f"       {node.get('html', '')[:200]}")
            summary = (node.get("failureSummary") or "").replace("\n", "\n       ")
            if summary:
                lines.append(f"       {summary}")
        if len(v["nodes"]) > 10:
            lines.append(f"    … and {len(v['nodes']) - 10} more")
    return "\n".join(lines)


# Pages that were navigated to, and which of those navigations axe has checked: the page
# fixture fails a journey that left a page unchecked (see e2e/conftest.py).
AxeHook = Callable[[Page], None]
_after_axe: list[AxeHook] = []


def _note_lesser(page: Page, violations: list[dict[str, Any]]) -> None:
    """Moderate and minor violations do not fail a journey; they are listed, once per page
    and rule, in test-artifacts/e2e/axe-lesser.txt for whoever wants to fix them."""
    if not violations:
        return
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    report = ARTIFACTS / "axe-lesser.txt"
    seen = set(report.read_text(encoding="utf-8").splitlines()) if report.exists() else set()
    path = page.url.split("://", 1)[-1].split("/", 1)[-1]
    with report.open("a", encoding="utf-8") as out:
        for v in violations:
            line = f"/{path} [{v['impact']}] {v['id']}: {v['help']}"
            if line not in seen:
                out.write(line + "\n")
                seen.add(line)


def check_axe(page: Page) -> None:
    """Run axe-core on the page as it is now; fail on any serious or critical violation.

    The page's CSP (script-src 'self') forbids injected <script> tags, so axe's source is
    evaluated through the DevTools protocol instead; the page itself keeps its real CSP."""
    page.wait_for_load_state("load")
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_JS.read_text(encoding="utf-8") + "\n;undefined")
    results = page.evaluate(
        """async () => {
            const r = await window.axe.run(document, {resultTypes: ["violations"]});
            return r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({
                    target: n.target, html: n.html, failureSummary: n.failureSummary,
                })),
            }));
        }"""
    )
    for hook in _after_axe:
        hook(page)
    _note_lesser(page, [v for v in results if v["impact"] not in SERIOUS])
    bad = [v for v in results if v["impact"] in SERIOUS]
    assert not bad, f"axe-core: serious or critical violations on {page.url}\n" + (
        format_violations(bad)
    )


def on_axe_checked(hook: AxeHook) -> None:
    if hook not in _after_axe:
        _after_axe.append(hook)


# --- navigation helpers -------------------------------------------------------------------


def visit(page: Page, path: str) -> None:
    """Open `path` (relative to the server) and check it with axe."""
    response = page.goto(path)
    assert response is not None and response.ok, f"GET {path}: {response and response.status}"
    check_axe(page)


def html_lang(page: Page) -> str:
    return page.evaluate("() => document.documentElement.lang")


def expect_success_notice(page: Page) -> None:
    expect(page.locator("#messages .notice-success").first).to_be_visible()


def log_in(context: BrowserContext, server: Server, phone: str) -> Page:
    """A page of `context` logged in as the demo account `phone`, on "My account".

    The first time, through the password form of the log-in page; after that, with the
    session cookies that log-in left (a new context gets them too)."""
    page = context.new_page()
    saved = server.sessions.get(phone)
    if saved:
        context.add_cookies(saved)
        visit(page, "/accounts/me/")
        if page.url.startswith(server.url + "/accounts/me/"):
            return page
    visit(page, "/accounts/login/")
    form = page.locator("#password form")
    form.locator("#id_identifier").fill(phone)
    form.locator("#id_password").fill(DEMO_PASSWORD)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert page.url.startswith(server.url + "/accounts/me/"), page.url
    check_axe(page)
    server.sessions[phone] = [
        cookie for cookie in context.cookies() if cookie["name"] in {"sessionid", "csrftoken"}
    ]
    return page


def sign_up_with_code(page: Page, server: Server, phone: str) -> None:
    """From the sign-up page: number, "send code", the code from the log, accept the terms;
    ends on "My account" (checked with axe)."""
    server.personal_data.add(phone)
    page.locator("#id_phone").fill(phone)
    page.locator("button[name=action][value=send_code]").click()
    expect(page.locator("#code-status .notice-success")).to_contain_text(masked_phone(phone))
    check_axe(page)  # with the htmx status message in place
    page.locator("#id_code").fill(read_one_time_code(server, phone))
    page.locator("#id_accept_terms").check()
    with page.expect_navigation():
        page.locator("button[name=action][value=verify]").click()
    page.wait_for_url("**/accounts/me/")
    check_axe(page)


def verify_real_name(page: Page, server: Server, name: str, id_number: str) -> None:
    """From "My account": the real-name page, name + ID number + consent; ends on
    "My account" again (checked with axe)."""
    server.personal_data.add(id_number)
    page.locator("main a[href='/accounts/me/realname/']").click()
    page.wait_for_url("**/accounts/me/realname/")
    check_axe(page)
    page.locator("#id_name").fill(name)
    page.locator("#id_id_number").fill(id_number)
    page.locator("#id_consent").check()
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/accounts/me/")
    check_axe(page)
