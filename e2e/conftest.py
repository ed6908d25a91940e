"""Browser journeys: a real server, Debian's chromium driven by Playwright, axe-core on
every page. Run with `make e2e` (see e2e/README.md).

- `server` (session): migrates a scratch database, loads `seed_demo`, runs
  `manage.py runserver --noreload` on a free port and captures its log to a file.
- `browser` (session): /usr/bin/chromium (or $CHROMIUM), headless; never a downloaded build.
- `device` × `lang`: every test using them runs on a phone (390×844, touch) and a desktop
  (1280×800), in zh-hans and en. `@pytest.mark.variants(devices=[...], languages=[...])`
  narrows that for one journey.
- `new_context` / `page`: browser contexts in the test's device and language. Each page's
  navigations are recorded: a test fails if a page it loaded was never checked with
  `check_axe(page)`, if the page logged a JavaScript error or a CSP violation, or if any
  response was a 5xx.
- On failure, screenshots, the HTML of every open page and the server log go to
  test-artifacts/e2e/<test>/.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Response,
    sync_playwright,
)

from .helpers import (
    ARTIFACTS,
    AXE_JS,
    BROWSER_LOCALES,
    DEVICES,
    LANGUAGES,
    ROOT,
    Device,
    Server,
    on_axe_checked,
)

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVER_START_TIMEOUT = 60


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "variants(devices=None, languages=None): the devices (phone, desktop) and languages "
        "(zh-hans, en) a journey runs in; all of them by default",
    )
    config.addinivalue_line(
        "markers", "after_journeys: runs after every journey (reads what they left behind)"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    marker = metafunc.definition.get_closest_marker("variants")
    devices = list(DEVICES)
    languages = list(LANGUAGES)
    if marker is not None:
        devices = list(marker.kwargs.get("devices") or devices)
        languages = list(marker.kwargs.get("languages") or languages)
    if "device" in metafunc.fixturenames:
        metafunc.parametrize("device", devices, indirect=True)
    if "lang" in metafunc.fixturenames:
        metafunc.parametrize("lang", languages, indirect=True)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.get_closest_marker("after_journeys") is not None)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def _failed(node: pytest.Item) -> bool:
    return any(
        getattr(getattr(node, f"report_{when}", None), "failed", False)
        for when in ("setup", "call")
    )


# --- the server ---------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_env(var_dir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        # The embedded default: SQLite in var_dir, in-process cache, eager tasks, log SMS.
        if k not in {"DATABASE_URL", "REDIS_URL", "CULTURECLOUD_TESTING", "SMS_BACKEND"}
    }
    env.update(
        CULTURECLOUD_VAR_DIR=str(var_dir),
        DEBUG="1",
        LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def _manage(args: list[str], env: dict[str, str], output: Path) -> None:
    with output.open("ab") as out:
        subprocess.run(  # noqa: S603 -- our own manage.py with fixed arguments
            [sys.executable, str(ROOT / "manage.py"), *args],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=True,
            timeout=300,
        )


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited:\n{log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server did not answer in time:\n{log_path.read_text()[-3000:]}")


def pytest_sessionstart(session: pytest.Session) -> None:
    shutil.rmtree(ARTIFACTS, ignore_errors=True)  # only this run's failures are kept


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    """A real server on the embedded default, with the demo data, on a free port."""
    var_dir = Path(tempfile.mkdtemp(prefix="culturecloud-e2e-"))
    env = _server_env(var_dir)
    setup_log = var_dir / "setup.log"  # migrate and seed_demo output (not the server log)
    _manage(["migrate", "--noinput", "-v", "0"], env, setup_log)
    _manage(["seed_demo"], env, setup_log)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = var_dir / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 -- our own manage.py with fixed arguments
            [
                sys.executable,
                str(ROOT / "manage.py"),
                "runserver",
                "--noreload",
                f"127.0.0.1:{port}",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_up(url, process, log_path)
        yield Server(url=url, log_path=log_path)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(var_dir, ignore_errors=True)


# --- the browser --------------------------------------------------------------------------


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        raise RuntimeError(
            "Debian's chromium is needed: `apt-get install -y chromium` (`make e2e` does it)."
        )
    return path


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not AXE_JS.exists():
        raise RuntimeError(f"{AXE_JS} is missing: run `npm ci` (`make install`)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def device(request: pytest.FixtureRequest) -> Device:
    return DEVICES[request.param]


@pytest.fixture
def lang(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@dataclass
class PageWatch:
    """What happened on one page: its navigations, which axe checked, its errors."""

    page: Page
    navigations: list[str] = field(default_factory=list)
    checked: set[int] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)

    def navigated(self, url: str) -> None:
        if url != "about:blank":
            self.navigations.append(url)

    def axe_checked(self) -> None:
        if self.navigations:
            self.checked.add(len(self.navigations) - 1)

    def unchecked(self) -> list[str]:
        return [url for i, url in enumerate(self.navigations) if i not in self.checked]


_watches: dict[int, PageWatch] = {}


def watch_of(page: Page) -> PageWatch:
    """The watch of a page made by `new_context` / `page`."""
    return _watches[id(page)]


def _axe_checked(page: Page) -> None:
    watch = _watches.get(id(page))
    if watch is not None:
        watch.axe_checked()


on_axe_checked(_axe_checked)


def _expected_error(message: ConsoleMessage, page: Page) -> bool:
    """Console errors that are not the page's fault: a refused form is re-rendered with a
    4xx status on purpose (a journey that expects one asserts it). Any 5xx response counts
    separately (see _watch)."""
    url = str(message.location.get("url", ""))
    return message.text.startswith("Failed to load resource") and url == page.url


def _watch(page: Page, watches: list[PageWatch]) -> None:
    watch = PageWatch(page)
    _watches[id(page)] = watch
    watches.append(watch)

    def on_navigated(frame: Any) -> None:
        if frame == page.main_frame:
            watch.navigated(frame.url)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and not _expected_error(message, page):
            where = message.location.get("url") or page.url
            watch.errors.append(f"console error on {page.url}: {message.text} ({where})")

    def on_response(response: Response) -> None:
        if response.status >= 500:
            watch.errors.append(f"server error {response.status}: {response.url}")

    page.on("framenavigated", on_navigated)
    page.on("response", on_response)
    page.on("console", on_console)
    page.on("pageerror", lambda error: watch.errors.append(f"page error: {error}"))


def _artifact_name(nodeid: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid).strip("_")[:150]


def _save_artifacts(node: pytest.Item, watches: list[PageWatch], server: Server) -> None:
    folder = ARTIFACTS / _artifact_name(node.nodeid)
    folder.mkdir(parents=True, exist_ok=True)
    for n, watch in enumerate(watches, start=1):
        if watch.page.is_closed():
            continue
        try:
            watch.page.screenshot(path=str(folder / f"page-{n}.png"), full_page=True, scale="css")
            (folder / f"page-{n}.html").write_text(watch.page.content(), encoding="utf-8")
        except Exception as exc:  # a crashed page still lets the others be saved
            (folder / f"page-{n}.error.txt").write_text(repr(exc), encoding="utf-8")
    shutil.copyfile(server.log_path, folder / "server.log")


NewContext = Callable[..., BrowserContext]


@pytest.fixture
def new_context(
    request: pytest.FixtureRequest, browser: Browser, server: Server, device: Device, lang: str
) -> Iterator[NewContext]:
    """Makes browser contexts (separate cookie jars: one per person in a journey) in the
    test's device and language. `new_context(lang="en")` overrides the language."""
    contexts: list[BrowserContext] = []
    watches: list[PageWatch] = []

    def make(*, lang: str = lang) -> BrowserContext:
        context = browser.new_context(
            base_url=server.url,
            locale=BROWSER_LOCALES[lang],
            timezone_id="Asia/Shanghai",
            **device.context_options(),
        )
        context.set_default_timeout(10_000)
        context.add_cookies([{"name": "django_language", "value": lang, "url": server.url}])
        context.on("page", lambda page: _watch(page, watches))
        contexts.append(context)
        return context

    yield make

    node = request.node
    try:
        problems = []
        if not _failed(node):  # a failed test already says what went wrong first
            for watch in watches:
                problems += [f"not checked with check_axe: {url}" for url in watch.unchecked()]
                problems += watch.errors
        if _failed(node) or problems or os.environ.get("E2E_SCREENSHOTS") == "all":
            _save_artifacts(node, watches, server)
        if problems:
            pytest.fail("\n".join(problems), pytrace=False)
    finally:
        for watch in watches:
            _watches.pop(id(watch.page), None)
        for context in contexts:
            context.close()


@pytest.fixture
def page(new_context: NewContext) -> Page:
    """An anonymous visitor's page in the test's device and language."""
    return new_context().new_page()
