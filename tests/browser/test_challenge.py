"""The challenge in Chromium, with the providers' documented test keys, served locally.

There is no internet here, so the providers' real scripts are never loaded: Playwright answers
the script's URL with a small stand-in (below) that does what the documentation says the real
script does with a test site key (render a checkbox into the element given; once it is ticked,
call ``callback`` with the documented dummy token, or ``error-callback`` for the always-fail key).
The page's own Content-Security-Policy still applies to it. siteverify is a local HTTP server that
answers as the providers document their test secret keys.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Request, Route, expect

from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import Blog
from tests.browser.widget_steps import comment_item, comment_on
from tests.local_receiver import LocalReceiver, Posted, Reply

# Cloudflare's and hCaptcha's documented test keys, and the dummy tokens their test site keys produce.
TURNSTILE_PASS = ("1x00000000000000000000AA", "1x0000000000000000000000000000000AA")
TURNSTILE_FAIL = ("2x00000000000000000000AB", "2x0000000000000000000000000000000AA")
TURNSTILE_TOKEN = "XXXX.DUMMY.TOKEN.XXXX"
HCAPTCHA_PASS = ("10000000-ffff-ffff-ffff-000000000001", "0x0000000000000000000000000000000000000000")
HCAPTCHA_TOKEN = "10000000-aaaa-bbbb-cccc-000000000001"

# A stand-in for both providers' api.js: explicit rendering, the onload callback, render/reset/remove.
STAND_IN = """(() => {
  const params = new URL(document.currentScript.src).searchParams;
  const widgets = [];
  window.%(global)s = {
    render(element, options) {
      const box = document.createElement("input");
      box.type = "checkbox";
      const label = document.createElement("label");
      label.append(box, " %(label)s");
      label.dataset.language = options.language || params.get("hl");
      element.append(label);
      box.addEventListener("change", () => {
        if (!box.checked) return;
        if (options.sitekey === "%(pass_key)s") options.callback("%(token)s");
        else options["error-callback"]("the test key always fails");
      });
      widgets.push({ element, box });
      return String(widgets.length - 1);
    },
    reset(id) { widgets[Number(id)].box.checked = false; },
    remove(id) { widgets[Number(id)].element.replaceChildren(); },
  };
  window[params.get("onload")]();
})();"""
SCRIPTS = {
    "https://challenges.cloudflare.com/turnstile/v0/api.js": STAND_IN % {
        "global": "turnstile", "label": "Verify you are human", "pass_key": TURNSTILE_PASS[0],
        "token": TURNSTILE_TOKEN},
    "https://js.hcaptcha.com/1/api.js": STAND_IN % {
        "global": "hcaptcha", "label": "I am human", "pass_key": HCAPTCHA_PASS[0], "token": HCAPTCHA_TOKEN},
}


class Siteverify(LocalReceiver):
    """siteverify as the providers document their test secrets: one passes, one fails."""

    def __init__(self) -> None:
        super().__init__("/siteverify")

    def recorded(self, request: Posted) -> dict[str, str]:
        return request.form

    def answer(self, request: Posted, failure: Any) -> Reply:
        return Reply(200, json.dumps(self.verdict(request.form)).encode(), "application/json")

    @staticmethod
    def verdict(form: dict[str, str]) -> dict[str, Any]:
        secret, token = form.get("secret"), form.get("response")
        passed = (secret == TURNSTILE_PASS[1] and token == TURNSTILE_TOKEN) or (
            secret == HCAPTCHA_PASS[1] and token == HCAPTCHA_TOKEN)
        if passed:  # the page's host, as the provider reports where the token was solved
            return {"success": True, "hostname": "127.0.0.1", "error-codes": [],
                    **({"action": "comment"} if secret == TURNSTILE_PASS[1] else {})}
        return {"success": False, "error-codes": ["invalid-input-response"]}


@pytest.fixture(scope="module")
def siteverify() -> Iterator[Siteverify]:
    started = Siteverify()
    yield started
    started.stop()


@pytest.fixture(scope="module")
def challenged(start_blog: Callable[..., Blog], siteverify: Siteverify) -> Callable[[str, tuple[str, str], str], Blog]:
    """A stack asking for a provider's challenge with one pair of test keys, started once per module."""
    started: dict[tuple[str, str, str], Blog] = {}

    def start(provider: str, test_keys: tuple[str, str], when: str = "always") -> Blog:
        if (provider, test_keys[0], when) not in started:
            started[(provider, test_keys[0], when)] = start_blog(
                CHALLENGE=provider, CHALLENGE_SITE_KEY=test_keys[0], CHALLENGE_SECRET=test_keys[1],
                CHALLENGE_WHEN=when, CHALLENGE_VERIFY_URL=siteverify.url, COMMENT_RATE_LIMIT="100000/60")
        return started[(provider, test_keys[0], when)]
    return start


def serve_stand_ins(page: Page) -> list[str]:
    """The providers' script URLs answered with the stand-in; the URLs the page asked for."""
    asked: list[str] = []

    def fulfil(route: Route, request: Request) -> None:
        asked.append(request.url)
        url = urlsplit(request.url)
        route.fulfill(status=200, content_type="text/javascript", body=SCRIPTS[f"{url.scheme}://{url.netloc}{url.path}"])

    for script in SCRIPTS:
        page.route(f"{script}?*", fulfil)
    return asked


def sent_bodies(page: Page, slug: str) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []
    page.on("request", lambda r: sent.append(json.loads(r.post_data or "{}"))
            if r.method == "POST" and r.url.endswith(f"/posts/{slug}/comments") else None)
    return sent


def test_a_reader_ticks_the_turnstile_check_and_the_comment_is_published(
        challenged: Callable[..., Blog], siteverify: Siteverify, page: Page) -> None:
    blog = challenged("turnstile", TURNSTILE_PASS)
    slug = blog.new_post("Checked by Turnstile")
    asked = serve_stand_ins(page)
    sent = sent_bodies(page, slug)
    page.goto(blog.post_page(slug))  # the demo page: its CSP must let the provider's script run
    form = page.locator("form.bc-form")
    expect(form).to_be_visible()
    assert asked == []  # nothing of the provider's is loaded before a reader starts to write

    form.get_by_label("Comment").fill("A person wrote this.")
    check = form.get_by_role("group", name="Confirm you are a person")
    check.get_by_label("Verify you are human").check()
    expect(check.locator("label")).to_have_attribute("data-language", "en")  # render()'s language option
    form.get_by_role("button", name="Publish").click()

    expect(comment_item(page, "A person wrote this.")).to_be_visible()
    assert len(asked) == 1 and "render=explicit" in asked[0]
    assert sent[-1]["challenge_token"] == TURNSTILE_TOKEN
    assert siteverify.calls[-1]["response"] == TURNSTILE_TOKEN
    assert siteverify.calls[-1]["secret"] == TURNSTILE_PASS[1]
    expect(form.get_by_role("group", name="Confirm you are a person")).to_have_count(0)  # spent: asked again next time


def test_publishing_without_the_check_is_refused_and_the_reader_is_told_what_to_do(
        challenged: Callable[..., Blog], page: Page) -> None:
    blog = challenged("turnstile", TURNSTILE_PASS)
    slug = blog.new_post("Forgot the check")
    serve_stand_ins(page)
    page.goto(blog.post_page(slug))

    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/comments")) as refused:
        comment_on(page, "I did not tick the box.")

    assert refused.value.status == 422
    form = page.locator("form.bc-form")
    advice = "Please complete the check above the Publish button, then publish again."
    expect(form.locator(".bc-error[role=alert]")).to_have_text(advice)
    expect(form.get_by_role("group", name="Confirm you are a person")).to_contain_text(advice)
    expect(comment_item(page, "I did not tick the box.")).to_have_count(0)
    assert_accessible(page, "form.bc-form")  # the check's group and its refusal, as axe-core sees them

    # Then ticking it and publishing again works, with what the reader typed still there
    form.get_by_label("Verify you are human").check()
    form.get_by_role("button", name="Publish").click()
    expect(comment_item(page, "I did not tick the box.")).to_be_visible()


def test_the_always_failing_test_key_never_lets_a_comment_through(
        challenged: Callable[..., Blog], page: Page) -> None:
    blog = challenged("turnstile", TURNSTILE_FAIL)
    slug = blog.new_post("The check always fails")
    serve_stand_ins(page)
    page.goto(blog.post_page(slug))
    form = page.locator("form.bc-form")
    form.get_by_label("Comment").fill("Blocked by the test key.")

    form.get_by_label("Verify you are human").check()
    expect(form.get_by_role("group", name="Confirm you are a person")).to_contain_text(
        "The check could not be loaded or completed. Please try again.")
    form.get_by_role("button", name="Publish").click()

    expect(form.locator(".bc-error[role=alert]")).to_have_text(
        "Please complete the check above the Publish button, then publish again.")
    expect(comment_item(page, "Blocked by the test key.")).to_have_count(0)
    assert blog.as_admin("GET", f"/posts/{slug}")["comment_count"] == 0


def test_hcaptcha_is_shown_in_the_pages_language(challenged: Callable[..., Blog], siteverify: Siteverify,
                                                 page: Page, static_site: tuple[Path, str]) -> None:
    blog = challenged("hcaptcha", HCAPTCHA_PASS)
    slug = blog.new_post("Auf Deutsch")
    folder, site = static_site
    (folder / f"{slug}-de.html").write_text(f"""<!doctype html>
<html lang="de"><head><meta charset="utf-8"><title>Ein Beitrag</title></head>
<body><div id="talk"></div><script src="{blog.url}/widget.js" data-post="{slug}" data-target="#talk"></script>
</body></html>""", encoding="utf-8")
    asked = serve_stand_ins(page)
    page.goto(f"{site}/{slug}-de.html")
    form = page.locator("form.bc-form")

    form.get_by_label("Kommentar", exact=True).fill("Von einem Menschen.")
    check = form.get_by_role("group", name="Bestätigen Sie, dass Sie ein Mensch sind")
    check.get_by_label("I am human").check()
    form.get_by_role("button", name="Veröffentlichen").click()

    expect(comment_item(page, "Von einem Menschen.")).to_be_visible()
    assert "hl=de" in asked[0] and asked[0].startswith("https://js.hcaptcha.com/1/api.js?")
    assert siteverify.calls[-1]["response"] == HCAPTCHA_TOKEN
