"""The report page in a real browser: headless Chromium (Debian's `chromium`, installed by .ci/run).

Chromium is driven through the DevTools protocol over `--remote-debugging-pipe` (JSON messages separated by
NUL bytes on file descriptors 3 and 4): no Selenium, no websocket. The test opens the page from a file URL,
records console errors, uncaught exceptions and browser log errors, checks that every <img> decoded
(naturalWidth > 0), sorts the top-k table by a click, and saves a full-page screenshot in its temporary
folder. A second, deliberately broken page proves the harness sees a broken image and a console error.
Without chromium the test is skipped on a developer machine and FAILS under CI (CI set).
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reports import render

pytestmark = pytest.mark.browser

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]

WIRE = (
    "import os, sys\n"
    "r, w = int(sys.argv[1]), int(sys.argv[2])\n"
    "os.dup2(r, 3)\n"
    "os.dup2(w, 4)\n"
    "os.close(r)\n"
    "os.close(w)\n"
    "os.execv(sys.argv[3], sys.argv[3:])\n"
)

IMAGES_JS = """
Promise.all(Array.from(document.images).map(function (img) {
  return img.complete ? null : new Promise(function (done) { img.onload = img.onerror = done; });
})).then(function () {
  return Array.from(document.images).map(function (img) {
    return {alt: img.alt, width: img.naturalWidth, height: img.naturalHeight};
  });
})
"""

SORT_JS = """
(function () {
  var table = document.getElementById("T_topk");
  var column = Array.from(table.tHead.rows[0].cells).findIndex(function (th) {
    return th.textContent.trim() === "number";
  });
  function numbers() {
    return Array.from(table.tBodies[0].rows).map(function (r) { return +r.cells[column].textContent; });
  }
  var before = numbers();
  table.tHead.rows[0].cells[column].click();
  return {before: before, after: numbers()};
})()
"""


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed, and CI is set: .ci/run must install Debian's chromium")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return path


class DevTools:
    """A minimal DevTools-protocol client over Chromium's --remote-debugging-pipe."""

    def __init__(self, chromium: str, profile: Path) -> None:
        to_chrome_r, self._to_chrome = self._high_pipe()
        self._from_chrome, from_chrome_w = self._high_pipe()
        # Chromium reads commands on fd 3 and writes replies on fd 4: a tiny Python trampoline moves the
        # pipe ends there and execs chromium (the ends sit at fds >= 10, so the moves cannot clobber them).
        self.proc = subprocess.Popen(
            [sys.executable, "-c", WIRE, str(to_chrome_r), str(from_chrome_w), chromium, *FLAGS,
             f"--user-data-dir={profile}", "--remote-debugging-pipe", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            pass_fds=(to_chrome_r, from_chrome_w),
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict] = []

    @staticmethod
    def _high_pipe() -> tuple[int, int]:
        ends = []
        for fd in os.pipe():
            ends.append(fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10))
            os.close(fd)
        return ends[0], ends[1]

    def _receive(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            ready, _, _ = select.select([self._from_chrome], [], [], max(remaining, 0))
            if not ready:
                raise TimeoutError("chromium did not answer in time")
            chunk = os.read(self._from_chrome, 1 << 20)
            if not chunk:
                raise EOFError("chromium closed the DevTools pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method: str, params: dict | None = None, *, session: str | None = None,
             timeout: float = 30.0) -> dict:
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        data = json.dumps(message).encode() + b"\0"
        while data:
            data = data[os.write(self._to_chrome, data):]
        deadline = time.monotonic() + timeout
        while True:
            reply = self._receive(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, *, session: str, timeout: float = 30.0) -> dict:
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            for event in self.events[seen:]:
                if event.get("method") == method and event.get("sessionId") == session:
                    return event
            seen = len(self.events)
            self.events.append(self._receive(deadline))

    def open(self, url: str) -> str:
        """A new tab attached with its own session, viewport 1280 wide, loaded with `url`."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable", session=session)
        self.call("Emulation.setDeviceMetricsOverride", {"width": 1280, "height": 900, "deviceScaleFactor": 1,
                                                         "mobile": False}, session=session)
        self.call("Page.navigate", {"url": url}, session=session)
        self.wait_for("Page.loadEventFired", session=session)
        return session

    def evaluate(self, expression: str, *, session: str):
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "awaitPromise": True}, session=session)
        if "exceptionDetails" in result:
            raise RuntimeError(f"script failed: {result['exceptionDetails']}")
        return result["result"]["value"]

    def errors(self, session: str) -> list[str]:
        """Console errors/asserts, uncaught exceptions and browser log errors seen in `session`."""
        found = []
        for event in self.events:
            if event.get("sessionId") != session:
                continue
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                found.append("console: " + " ".join(str(a.get("value", a.get("description"))) for a in
                                                    params.get("args", [])))
            elif method == "Runtime.exceptionThrown":
                found.append(f"exception: {params.get('exceptionDetails', {}).get('text')}")
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                found.append(f"log: {params['entry'].get('text')}")
        return found

    def screenshot(self, path: Path, *, session: str) -> None:
        size = self.call("Page.getLayoutMetrics", session=session)["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
        shot = self.call("Page.captureScreenshot", {"format": "png", "clip": clip, "captureBeyondViewport": True},
                         session=session)
        path.write_bytes(base64.b64decode(shot["data"]))

    def close(self) -> None:
        try:
            self.call("Browser.close", timeout=10)
        except (TimeoutError, EOFError, RuntimeError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        finally:
            os.close(self._to_chrome)
            os.close(self._from_chrome)


@pytest.fixture
def browser(tmp_path):
    devtools = DevTools(chromium_path(), tmp_path / "profile")
    try:
        yield devtools
    finally:
        devtools.close()


def test_report_page_in_headless_chromium(tmp_path, make_export, nasty, browser):
    index = render(make_export(study=f"tiny {nasty}"), out_dir=tmp_path / "report")
    n_figures = len(list((tmp_path / "report" / "figures").glob("*.png")))
    session = browser.open(index.resolve().as_uri())

    images = browser.evaluate(IMAGES_JS, session=session)
    assert len(images) == n_figures == 11
    assert all(img["width"] > 0 and img["height"] > 0 for img in images), images
    assert browser.evaluate("document.title", session=session) == f"Study tiny {nasty}"  # shown as text
    assert browser.evaluate("document.scripts.length", session=session) == 1
    sort = browser.evaluate(SORT_JS, session=session)
    assert sort["before"] == [5, 1, 3, 0, 6] and sort["after"] == [0, 1, 3, 5, 6]

    browser.screenshot(tmp_path / "screenshot.png", session=session)
    assert (tmp_path / "screenshot.png").read_bytes().startswith(b"\x89PNG")
    assert browser.errors(session) == []


def test_the_harness_sees_broken_images_and_console_errors(tmp_path, browser):
    broken = tmp_path / "broken.html"
    broken.write_text('<!DOCTYPE html><html><head><link rel="icon" href="data:,"></head><body>'
                      '<img src="data:image/png;base64,AAAA" alt="bad"><img src="missing.png" alt="gone">'
                      '<script>console.error("boom"); undefinedFunction();</script></body></html>')
    session = browser.open(broken.as_uri())
    images = browser.evaluate(IMAGES_JS, session=session)
    assert [img["width"] for img in images] == [0, 0]
    errors = browser.errors(session)
    assert any(e.startswith("console: boom") for e in errors), errors
    assert any(e.startswith("exception:") for e in errors), errors
    assert any(e.startswith("log:") for e in errors), errors  # the missing file
