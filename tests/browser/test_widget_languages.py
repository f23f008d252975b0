"""The widget in the reader's language: count line, form labels, plurals, right-to-left, refusals by field.

Each page is a static blog post on another origin, in one language (its <html lang>), embedding
the widget by one script tag. Expected texts are written out here, not read from the catalogues,
so a wrong or missing translation fails.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import Blog
from tests.browser.widget_steps import comment_item


def page_in(folder: Path, api: str, slug: str, lang: str, tag: str = "", html: str = "") -> str:
    """A static post page whose <html lang> is ``lang`` (empty: none); ``tag``: more attributes on the script tag."""
    name = f"{slug}-{lang or 'none'}.html"
    lang_attribute = f' lang="{lang}"' if lang else ""
    (folder / name).write_text(f"""<!doctype html>
<html{lang_attribute}{html}><head><meta charset="utf-8"><title>A post</title></head>
<body><article><h1>A post</h1></article><div id="comments"></div>
<script src="{api}/widget.js" data-post="{slug}"{tag}></script>
</body></html>""", encoding="utf-8")
    return name


# language -> (no comments, one comment, the comment box's label, the publish button, the form's title)
LANGUAGES = {
    "en": ("No comments", "1 comment", "Comment", "Publish", "Post a Comment"),
    "de": ("Keine Kommentare", "1 Kommentar", "Kommentar", "Veröffentlichen", "Kommentar schreiben"),
    "fr": ("Aucun commentaire", "1 commentaire", "Commentaire", "Publier", "Laisser un commentaire"),
    "es": ("No hay comentarios", "1 comentario", "Comentario", "Publicar", "Publicar un comentario"),
    "pt-BR": ("Nenhum comentário", "1 comentário", "Comentário", "Publicar", "Postar um comentário"),
    "ru": ("Нет комментариев", "1 комментарий", "Комментарий", "Опубликовать", "Оставить комментарий"),
    "ja": ("コメントはありません", "1 件のコメント", "本文", "投稿", "コメントを書く"),
    "zh-CN": ("暂无评论", "1 条评论", "评论内容", "发布", "发表评论"),
    "ar": ("لا توجد تعليقات", "تعليق واحد", "التعليق", "نشر", "أضف تعليقًا"),
    "he": ("אין תגובות", "תגובה אחת", "תגובה", "פרסום", "הוספת תגובה"),
}


@pytest.mark.parametrize("lang", list(LANGUAGES), ids=list(LANGUAGES))
def test_count_line_and_form_speak_the_pages_language(blog: Blog, page: Page, static_site: tuple[Path, str],
                                                      lang: str) -> None:
    none, one, box, publish, title = LANGUAGES[lang]
    folder, site = static_site
    quiet, talked = blog.new_post(), blog.new_post()
    blog.comment(talked, "Once.")

    page.goto(f"{site}/{page_in(folder, blog.url, quiet, lang)}")
    expect(page.locator(".bc-count")).to_have_text(none)
    form = page.locator("form.bc-form")
    expect(form.get_by_role("heading")).to_have_text(title)
    expect(form.get_by_label(box, exact=True)).to_be_visible()
    expect(form.get_by_role("button", name=publish, exact=True)).to_be_visible()
    expect(page.locator("section.bc")).to_have_attribute("lang", lang)

    page.goto(f"{site}/{page_in(folder, blog.url, talked, lang)}")
    expect(page.locator(".bc-count")).to_have_text(one)


def test_a_russian_count_takes_the_one_few_and_many_forms(blog: Blog, page: Page,
                                                            static_site: tuple[Path, str]) -> None:
    folder, site = static_site
    for count, line in ((3, "3 комментария"), (5, "5 комментариев"), (21, "21 комментарий")):
        slug = blog.new_post()
        for n in range(count):
            blog.comment(slug, f"Комментарий номер {n}.")
        page.goto(f"{site}/{page_in(folder, blog.url, slug, 'ru')}")
        expect(page.locator(".bc-count")).to_have_text(line)


def test_a_russian_reader_publishing_sees_the_count_grow_in_russian(blog: Blog, page: Page,
                                                                    static_site: tuple[Path, str]) -> None:
    folder, site = static_site
    slug = blog.new_post()
    page.goto(f"{site}/{page_in(folder, blog.url, slug, 'ru')}")
    form = page.locator("form.bc-form")

    form.get_by_label("Комментарий", exact=True).fill("Привет!")
    form.get_by_role("button", name="Опубликовать").click()

    expect(page.locator(".bc-status")).to_have_text("Ваш комментарий опубликован.")
    expect(page.locator(".bc-count")).to_have_text("1 комментарий")
    expect(comment_item(page, "Привет!").get_by_role("button", name="Изменить", exact=True)).to_be_visible()


def test_arabic_is_laid_out_right_to_left(blog: Blog, page: Page, static_site: tuple[Path, str]) -> None:
    folder, site = static_site
    slug = blog.new_post()
    parent = blog.comment(slug, "أهلًا.")
    blog.comment(slug, "ردّ على التعليق.", parent_id=parent["id"])

    right_to_left = ' dir="rtl"'
    page.goto(f"{site}/{page_in(folder, blog.url, slug, 'ar', html=right_to_left)}")

    section = page.locator("section.bc")
    expect(section).to_have_attribute("dir", "rtl")
    expect(page.locator(".bc-count")).to_have_text("تعليقان")
    # The reply hangs from the right: its rule on the right, its box ending left of its parent's
    reply = comment_item(page, "ردّ على التعليق.")
    replies = page.locator("ol.bc-replies").first
    borders = replies.evaluate("e => [getComputedStyle(e).borderRightWidth, getComputedStyle(e).borderLeftWidth]")
    assert borders == ["2px", "0px"]
    outer = comment_item(page, "أهلًا.").locator(":scope > article").bounding_box()
    inner = reply.locator(":scope > article").bounding_box()
    assert outer is not None and inner is not None
    assert inner["x"] + inner["width"] < outer["x"] + outer["width"] - 10
    # The form's labels start on the right too
    label = page.locator("form.bc-form").get_by_text("التعليق", exact=True)
    box = page.locator("form.bc-form textarea").bounding_box()
    label_box = label.bounding_box()
    assert box is not None and label_box is not None
    assert abs((label_box["x"] + label_box["width"]) - (box["x"] + box["width"])) < 2


def test_a_refusal_stays_under_its_field_in_another_language(blog: Blog, page: Page,
                                                               static_site: tuple[Path, str]) -> None:
    folder, site = static_site
    slug = blog.new_post()
    page.goto(f"{site}/{page_in(folder, blog.url, slug, 'fr')}")
    form = page.locator("form.bc-form")

    website = form.get_by_label("Site web")
    website.fill("javascript:alert(1)")
    form.get_by_label("Commentaire", exact=True).fill("Voyez mon site.")
    form.get_by_role("button", name="Publier").click()

    # The field's label is French, the rule the server's (English) words
    expect(page.locator(f"#{website.get_attribute('id')}-error")).to_have_text(
        "Site web : must be an http:// or https:// address")
    expect(website).to_have_attribute("aria-invalid", "true")
    expect(form.locator(".bc-error[role=alert]")).to_have_text("Veuillez corriger le champ signalé ci-dessous.")


@pytest.mark.parametrize(("tag", "html_lang", "browser_says", "spoken"), [
    pytest.param(' data-lang="de"', "fr", None, "Keine Kommentare", id="data-lang-wins"),
    pytest.param("", "es-MX", None, "No hay comentarios", id="region-falls-back-to-language"),
    pytest.param("", "", "fr-CA", "Aucun commentaire", id="browser-language-without-html-lang"),
    pytest.param("", "it", None, "No comments", id="unknown-language-is-english"),
])
def test_the_language_is_chosen_from_the_tag_the_page_then_the_browser(
        blog: Blog, browser: Browser, static_site: tuple[Path, str], tag: str, html_lang: str,
        browser_says: str | None, spoken: str) -> None:
    folder, site = static_site
    slug = blog.new_post()
    context = browser.new_context(locale=browser_says or "en-US")
    try:
        reader = context.new_page()
        reader.goto(f"{site}/{page_in(folder, blog.url, slug, html_lang, tag)}")
        expect(reader.locator(".bc-count")).to_have_text(spoken)
    finally:
        context.close()


def test_a_page_fetches_only_its_own_catalogue(blog: Blog, page: Page, static_site: tuple[Path, str]) -> None:
    folder, site = static_site
    slug = blog.new_post()
    fetched: list[str] = []
    page.on("request", lambda r: fetched.append(r.url.removeprefix(blog.url)) if "/i18n/" in r.url else None)

    page.goto(f"{site}/{page_in(folder, blog.url, slug, 'ja')}")
    expect(page.locator(".bc-count")).to_have_text("コメントはありません")
    page.goto(f"{site}/{page_in(folder, blog.url, slug, 'en')}")
    expect(page.locator(".bc-count")).to_have_text("No comments")

    assert fetched == ["/i18n/ja.json"]
