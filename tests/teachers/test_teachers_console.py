"""The teacher console in headless Chromium, through a whole session: sign in, create a
class and an assignment, upload three recordings and a broken file straight to storage,
watch progress reach done, override one score, and download the CSV."""

from __future__ import annotations

import csv
import email
import email.policy
import os
import re
import shutil
import threading
import time
import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import requests
from flask import Flask
from werkzeug.serving import make_server

from tests.loopback import free_port
from tests.teachers.conftest import AUDIO

selenium = pytest.importorskip("selenium")
from selenium import webdriver  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as ec  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

CHROMIUM = shutil.which("chromium")
DRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and DRIVER), reason="needs Debian's chromium and chromium-driver"
)
# CONSOLE_SCREENSHOTS=docs writes the main pages' screenshots there (README shows them).
SCREENSHOTS = os.environ.get("CONSOLE_SCREENSHOTS")

# Every form control has a name a screen reader can say.
UNLABELLED = """
return Array.from(document.querySelectorAll('input, select, textarea'))
  .filter(e => e.type !== 'hidden' && !e.closest('[hidden]'))
  .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
  .map(e => e.outerHTML);
"""

# axe-core from the npm registry, vendored (MPL-2.0): the automated accessibility check.
AXE = (Path(__file__).parent / "vendor" / "axe-4.14.1.min.js").read_text()
RUN_AXE = """
const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ['violations']}).then(r => done(
  r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
   .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))));
"""


def accessibility_problems(driver: webdriver.Chrome) -> list[str]:
    """Serious or critical axe-core violations, and form controls without a label."""
    driver.execute_script(AXE)
    return driver.execute_async_script(RUN_AXE) + driver.execute_script(UNLABELLED)


def big_wav(source: Path, target: Path, repeat: int = 3) -> None:
    """The clip said `repeat` times, as a 48 kHz 32-bit stereo recorder would store it."""
    with wave.open(str(source)) as clip:
        assert (clip.getnchannels(), clip.getsampwidth(), clip.getframerate()) == (1, 2, 16000)
        samples = np.frombuffer(clip.readframes(clip.getnframes()), dtype="<i2")
    wide = np.repeat(samples.astype("<i4") << 16, 3)  # 16 -> 48 kHz, 16 -> 32 bits
    stereo = np.tile(np.column_stack([wide, wide]), (repeat, 1))
    with wave.open(str(target), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(4)
        out.setframerate(48000)
        out.writeframes(stereo.tobytes())


@pytest.fixture
def console_app(app_with, start_worker) -> Iterator[tuple[str, Flask]]:
    """The platform on a real HTTP port with a worker: the browser talks to it as a teacher
    would; presigned uploads go to the local store's signed URLs on the same port."""
    port = free_port()
    live = app_with(public_base_url=f"http://127.0.0.1:{port}")
    server = make_server("127.0.0.1", port, live, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    start_worker(live)
    yield f"http://127.0.0.1:{port}", live
    server.shutdown()
    thread.join(10)


@pytest.fixture
def console(console_app) -> str:
    return console_app[0]


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,1000",
    ):
        options.add_argument(flag)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    options.add_experimental_option(
        "prefs",
        {"download.default_directory": str(downloads), "download.prompt_for_download": False},
    )
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(DRIVER))
    driver.set_script_timeout(30)
    driver.downloads = downloads  # type: ignore[attr-defined]
    yield driver
    driver.quit()


def shot(driver: webdriver.Chrome, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(exist_ok=True)
        size = driver.get_window_size()
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(size["width"], min(height + 120, 4000))  # the whole page
        driver.save_screenshot(str(Path(SCREENSHOTS) / f"console-{name}.png"))
        driver.set_window_size(size["width"], size["height"])


def fill(driver: webdriver.Chrome, element_id: str, text: str) -> None:
    field = driver.find_element(By.ID, element_id)
    field.clear()
    field.send_keys(text)


def test_a_teacher_runs_a_class_assessment_in_the_browser(console, browser, accounts, tmp_path):
    # Given a teacher and three learners of one organisation
    admin = accounts.admin()
    teacher = accounts.member(admin, "teacher")
    learners = [accounts.member(admin, "learner") for _ in range(3)]
    wait = WebDriverWait(browser, 30)
    started = time.monotonic()
    browser.get(f"{console}/console")
    assert time.monotonic() - started < 5
    assert accessibility_problems(browser) == []

    # When the teacher signs in and creates a class with the learners
    wait.until(ec.visibility_of_element_located((By.ID, "email")))
    shot(browser, "sign-in")
    fill(browser, "email", teacher.email)
    fill(browser, "password", teacher.password)
    browser.find_element(By.ID, "sign-in-button").click()
    wait.until(ec.visibility_of_element_located((By.ID, "class-name")))
    fill(browser, "class-name", "5B English")
    browser.find_element(By.ID, "create-class").click()
    wait.until(ec.url_contains("/console/classes/"))
    wait.until(ec.text_to_be_present_in_element((By.ID, "class-title"), "5B English"))
    fill(browser, "member-emails", "\n".join(m.email for m in learners))
    browser.find_element(By.ID, "add-members").click()
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#member-list li")) == 4)
    assert accessibility_problems(browser) == []

    # And sets a speaking assignment
    fill(browser, "a-title", "My town")
    Select(browser.find_element(By.ID, "a-level")).select_by_visible_text("B1")
    fill(browser, "a-prompt", "Tell us about your town.")
    shot(browser, "class")
    browser.find_element(By.ID, "create-assignment").click()
    wait.until(ec.url_contains("/console/assignments/"))
    wait.until(ec.text_to_be_present_in_element((By.ID, "assignment-title"), "My town"))
    assert accessibility_problems(browser) == []

    # And uploads three recordings, a broken file and a manifest, straight to storage
    folder = tmp_path / "upload"
    folder.mkdir()
    files = {
        "one.wav": AUDIO / "en_market.wav",
        "two.wav": AUDIO / "en_reading.wav",
        "three.mp3": AUDIO / "en_market.mp3",
        "broken.wav": AUDIO / "corrupt.bin",
    }
    for name, source in files.items():
        if name != "one.wav":
            shutil.copy(source, folder / name)
    rows = (
        ["filename,learner"]
        + [
            f"{name},{learner.email}"
            for name, learner in zip(("one.wav", "two.wav", "three.mp3"), learners, strict=True)
        ]
        + [f"broken.wav,{learners[0].email}"]
    )
    (folder / "manifest.csv").write_text("\n".join(rows) + "\n")
    # (one.wav, recorded at 48 kHz in 32-bit stereo, is over 5 MiB: it goes up in 5 MiB
    # parts, the smallest S3 takes; the others whole)
    big_wav(AUDIO / "en_market.wav", folder / "one.wav")
    browser.execute_script(f"sessionStorage.setItem('console.partBytes', '{5 * 1024 * 1024}')")
    browser.refresh()
    wait.until(ec.text_to_be_present_in_element((By.ID, "assignment-title"), "My town"))
    paths = [str(folder / name) for name in (*files, "manifest.csv")]
    browser.find_element(By.ID, "files").send_keys("\n".join(paths))
    browser.find_element(By.ID, "upload-button").click()

    # Then progress reaches done; the broken file is reported and the rest go on
    WebDriverWait(browser, 300).until(
        ec.text_to_be_present_in_element((By.ID, "batch-status"), "Batch completed")
    )
    uploads = browser.find_element(By.ID, "upload-list").text
    assert "broken.wav" in uploads and "not uploaded" in uploads
    assert browser.find_element(By.ID, "count-succeeded").text == "3"
    table = browser.find_elements(By.CSS_SELECTOR, "#results tbody tr")
    assert len(table) == 4
    assert accessibility_problems(browser) == []
    shot(browser, "assignment")

    # When the teacher overrides the first learner's level with a comment
    row = next(r for r in table if learners[0].email in r.text and "succeeded" in r.text)
    job_id = row.get_attribute("data-job")
    Select(row.find_element(By.TAG_NAME, "select")).select_by_visible_text("C2")
    row.find_element(By.TAG_NAME, "input").send_keys("Fluent and precise.")
    row.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait.until(ec.text_to_be_present_in_element((By.ID, "status"), "Review saved."))
    wait.until(
        lambda d: d.find_element(By.CSS_SELECTOR, f"tr[data-job='{job_id}'] td.final").text == "C2"
    )

    # And listens to the recording beside its transcript
    browser.find_element(By.CSS_SELECTOR, f"tr[data-job='{job_id}'] button[type=button]").click()
    wait.until(ec.visibility_of_element_located((By.ID, "transcript")))
    wait.until(lambda d: d.find_element(By.ID, "transcript").text.strip() != "")
    assert browser.find_element(By.ID, "player").get_attribute("src").startswith("blob:")

    # And downloads the CSV: one row per item, the reviewed level final
    browser.find_element(By.ID, "export-button").click()
    WebDriverWait(browser, 30).until(lambda d: list(d.downloads.glob("*.csv")))
    exported = next(browser.downloads.glob("*.csv"))
    with exported.open(newline="") as handle:
        table = list(csv.DictReader(handle))
    assert len(table) == 4
    reviewed = next(r for r in table if r["job_id"] == job_id)
    assert (reviewed["final_level"], reviewed["review_comment"]) == ("C2", "Fluent and precise.")
    assert sorted(r["status"] for r in table) == ["error", "succeeded", "succeeded", "succeeded"]

    # And a class larger than one chunk of results is read a chunk at a time
    browser.execute_script("document.getElementById('results').dataset.pageSize = '3'")
    Select(browser.find_element(By.ID, "status-filter")).select_by_visible_text("Assessed")
    Select(browser.find_element(By.ID, "status-filter")).select_by_visible_text("All")
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#results tbody tr")) == 3)
    more = browser.find_element(By.ID, "more-results")
    wait.until(lambda d: more.is_displayed())
    more.click()
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#results tbody tr")) == 4)
    wait.until(lambda d: not more.is_displayed())

    # And the page works at phone width, without sideways scrolling
    browser.set_window_size(390, 844)
    browser.refresh()
    wait.until(ec.text_to_be_present_in_element((By.ID, "assignment-title"), "My town"))
    assert browser.execute_script(
        "return document.documentElement.scrollWidth <= window.innerWidth + 1"
    )
    shot(browser, "phone")


def test_the_pages_of_invitation_and_reset_mails_work_in_the_browser(
    console_app, browser, accounts
):
    # Given an admin's invitation code, as its mail's link carries it
    base, live = console_app
    admin = accounts.admin()
    invite = requests.post(
        f"{base}/api/v1/organisation/invites",
        json={"role": "teacher"},
        headers=admin.headers,
        timeout=30,
    ).json()
    wait = WebDriverWait(browser, 30)
    # When the invitee opens the link and fills in the form
    browser.get(f"{base}/console/register#invite={invite['code']}")
    wait.until(
        lambda d: d.find_element(By.ID, "invite-code").get_attribute("value") == invite["code"]
    )
    assert accessibility_problems(browser) == []
    fill(browser, "reg-name", "Ines Duarte")
    fill(browser, "reg-email", "ines@example.test")
    fill(browser, "reg-password", "correct horse battery")
    browser.find_element(By.ID, "register-button").click()
    # Then the account exists, as a teacher of the organisation
    wait.until(ec.visibility_of_element_located((By.ID, "register-done")))
    signed_in = requests.post(
        f"{base}/api/v1/auth/login",
        timeout=30,
        json={"email": "ines@example.test", "password": "correct horse battery"},
    )
    assert signed_in.status_code == 200, signed_in.text
    me = requests.get(
        f"{base}/api/v1/auth/me",
        timeout=30,
        headers={"Authorization": f"Bearer {signed_in.json()['access_token']}"},
    ).json()
    assert (me["role"], me["organisation_id"]) == ("teacher", admin.organisation_id)

    # When they forget the password and follow the reset mail's link (embedded mode writes
    # the mail to DATA_DIR/mail)
    asked = requests.post(
        f"{base}/api/v1/auth/password-reset", json={"email": "ines@example.test"}, timeout=30
    )
    assert asked.status_code == 202
    folder = Path(live.extensions["settings"].data_dir) / "mail"
    deadline = time.monotonic() + 30
    while not list(folder.glob("*.eml")) and time.monotonic() < deadline:
        time.sleep(0.1)
    message = email.message_from_bytes(
        next(folder.glob("*.eml")).read_bytes(), policy=email.policy.default
    )
    mail = message.get_body(("plain",)).get_content()
    link = re.search(r"(http://\S+/console/reset-password#token=[A-Za-z0-9_\-]+)", mail)
    assert link is not None, mail
    browser.get(link.group(1))
    assert accessibility_problems(browser) == []
    fill(browser, "new-password", "another long passphrase")
    browser.find_element(By.ID, "reset-button").click()
    # Then the new password signs in and the old one does not
    wait.until(
        lambda d: (
            d.find_element(By.ID, "reset-done").is_displayed()
            or d.find_element(By.ID, "problem").text
        )
    )
    assert browser.find_element(By.ID, "problem").text == ""
    new = requests.post(
        f"{base}/api/v1/auth/login",
        timeout=30,
        json={"email": "ines@example.test", "password": "another long passphrase"},
    )
    old = requests.post(
        f"{base}/api/v1/auth/login",
        timeout=30,
        json={"email": "ines@example.test", "password": "correct horse battery"},
    )
    assert (new.status_code, old.status_code) == (200, 401)
    # And the same link a second time is refused, saying why
    browser.get(link.group(1))
    browser.refresh()
    fill(browser, "new-password", "yet another passphrase")
    browser.find_element(By.ID, "reset-button").click()
    wait.until(ec.visibility_of_element_located((By.ID, "problem")))
    assert "used" in browser.find_element(By.ID, "problem").text.lower()


def test_an_upload_interrupted_by_a_reload_goes_on_with_the_missing_files(
    console, browser, accounts, tmp_path
):
    # Given a teacher's speaking assignment for two learners, open in the console
    admin = accounts.admin()
    teacher = accounts.member(admin, "teacher")
    learners = [accounts.member(admin, "learner") for _ in range(2)]
    api = f"{console}/api/v1"

    def call(method: str, path: str, **kwargs) -> dict:
        answer = requests.request(method, api + path, headers=teacher.headers, timeout=30, **kwargs)
        assert answer.status_code < 300, answer.text
        return answer.json()

    school = call("POST", "/classes", json={"name": "6A", "language": "en"})
    call(
        "POST",
        f"/classes/{school['id']}/members",
        json={"role": "learner", "emails": [m.email for m in learners]},
    )
    assignment = call(
        "POST",
        "/assignments",
        json={
            "class_id": school["id"],
            "title": "My street",
            "kind": "speaking",
            "language": "en",
            "level": "B1",
            "prompt_text": "Tell us about your street.",
        },
    )
    browser.get(f"{console}/console")
    token = teacher.headers["Authorization"].removeprefix("Bearer ")
    browser.execute_script(
        f"sessionStorage.setItem('console.token', '{token}');"
        f"sessionStorage.setItem('console.partBytes', '{5 * 1024 * 1024}')"
    )
    browser.get(f"{console}/console/assignments/{assignment['id']}")
    wait = WebDriverWait(browser, 60)
    wait.until(ec.text_to_be_present_in_element((By.ID, "assignment-title"), "My street"))
    folder = tmp_path / "upload"
    folder.mkdir()
    big_wav(AUDIO / "en_market.wav", folder / "long.wav")  # over 5 MiB: in parts
    shutil.copy(AUDIO / "en_reading.wav", folder / "short.wav")
    (folder / "manifest.csv").write_text(
        f"filename,learner\nlong.wav,{learners[0].email}\nshort.wav,{learners[1].email}\n"
    )
    paths = "\n".join(str(folder / n) for n in ("long.wav", "short.wav", "manifest.csv"))

    # When the upload starts on a slow connection and the page is reloaded halfway: the
    # small files are up, the large one is not
    browser.set_network_conditions(
        offline=False, latency=5, download_throughput=1 << 20, upload_throughput=256 << 10
    )
    browser.find_element(By.ID, "files").send_keys(paths)
    browser.find_element(By.ID, "upload-button").click()
    wait.until(lambda d: d.find_element(By.ID, "upload-list").text.count("uploaded") == 2)
    draft = browser.execute_script(
        f"return JSON.parse(localStorage.getItem('console.upload.{assignment['id']}'))"
    )
    large = next(e for e in draft["files"].values() if e["name"] == "long.wav")
    assert not large["done"] and large["part_bytes"] == 5 * 1024 * 1024
    browser.refresh()
    browser.delete_network_conditions()

    # Then the page says the upload was interrupted and how far it got
    wait.until(ec.visibility_of_element_located((By.ID, "resume-note")))
    assert "2 of 3 files are uploaded" in browser.find_element(By.ID, "resume-text").text
    assert call("GET", f"/assignments/{assignment['id']}/batches")["items"] == []

    # When the teacher chooses the same files again and uploads
    browser.find_element(By.ID, "files").send_keys(paths)
    browser.find_element(By.ID, "upload-button").click()

    # Then only the large file is sent, in the multipart upload begun before the reload,
    # and the batch completes with every recording once
    WebDriverWait(browser, 300).until(
        ec.text_to_be_present_in_element((By.ID, "batch-status"), "Batch completed")
    )
    notes = browser.find_element(By.ID, "upload-list").text
    assert notes.count("already uploaded") == 2 and "long.wav" in notes
    media = call("GET", "/media?per_page=100")["items"]
    assert sorted(m["filename"] for m in media) == ["long.wav", "manifest.csv", "short.wav"]
    assert next(m for m in media if m["filename"] == "long.wav")["id"] == large["media_id"]
    batches = call("GET", f"/assignments/{assignment['id']}/batches")["items"]
    assert len(batches) == 1 and batches[0]["counts"]["succeeded"] == 2
    items = call("GET", f"/batches/{batches[0]['id']}/items?per_page=100")["items"]
    assert sorted(item["media_id"] for item in items) == sorted(
        m["id"] for m in media if m["kind"] == "audio"
    )
    assert not browser.find_element(By.ID, "resume-note").is_displayed()
    assert (
        browser.execute_script(f"return localStorage.getItem('console.upload.{assignment['id']}')")
        is None
    )
