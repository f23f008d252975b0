"""The thread both systems serve in `make bench-peers`: one post, 200 comments, replies two levels deep.

Generated from a seed, so every run (and every machine) compares the same text: a mix of
English, Russian and Japanese sentences with a little Markdown (emphasis, a link, inline
code), the way readers write. Comment ``n``'s parent is an earlier comment or none.

Isso keeps only one level of replies: a reply to a reply is stored under its top-level
comment (``isso_parents`` says where each lands), so the thread both systems show is that
flattened one: our importer reads it from Isso's own database.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

COMMENTS = 200
REPLIES = 50  # replies to a top-level comment
DEEP_REPLIES = 20  # replies to a reply: the second level
SEED = 27

_ENGLISH = (
    "This is the clearest explanation of the cache I have read.",
    "I tried it on my own blog and the import took a minute.",
    "Could you say more about how the counts stay exact?",
    "The widget loads fast even on my old phone.",
    "I disagree: a VM is cheaper when the blog is busy.",
    "Thanks, the part about cursors finally made sense to me.",
)
_RUSSIAN = (
    "Спасибо за подробный разбор, всё работает с первого раза.",
    "Комментарии загружаются быстро, даже на медленном соединении.",
    "А как быть с модерацией, если автор в отпуске?",
    "Перевёл свой блог с WordPress, полёт нормальный.",
    "Ёжик в тумане тоже читает этот блог.",
)
_JAPANESE = (
    "とても分かりやすい説明をありがとうございます。",
    "私のブログでも試してみましたが、問題なく動きました。",
    "キャッシュの仕組みについてもう少し詳しく知りたいです。",
    "日本語のコメントも正しく表示されますね。",
    "東京からのアクセスでも速いです。",
)
_AUTHORS = ("Ada", "Grace", "Алексей", "Мария", "さくら", "健太", "Linus", "", "Zoë", "Chiara")
_MARKUP = ("*{}*", "**{}**", "`{}`", "[{}](https://example.com/notes)")


@dataclass(frozen=True)
class GeneratedComment:
    """Comment ``index`` (0-based, in posting order); ``parent`` is an earlier index or None."""

    index: int
    parent: int | None
    author: str
    email: str
    text: str


def _text(rng: random.Random) -> str:
    pools = (_ENGLISH, _RUSSIAN, _JAPANESE)
    sentences = [rng.choice(rng.choice(pools)) for _ in range(rng.randint(1, 4))]
    if rng.random() < 0.3:
        words = sentences[0].split()
        at = rng.randrange(len(words))
        words[at] = rng.choice(_MARKUP).format(words[at])
        sentences[0] = " ".join(words)
    paragraphs = [" ".join(sentences[:2])] + ([" ".join(sentences[2:])] if len(sentences) > 2 else [])
    return "\n\n".join(paragraphs)


def thread(seed: int = SEED) -> list[GeneratedComment]:
    """COMMENTS comments: REPLIES replies to top-level ones, DEEP_REPLIES replies to those replies."""
    rng = random.Random(seed)
    tops: list[int] = []
    replies: list[int] = []
    made: list[GeneratedComment] = []
    for index, kind in enumerate(_order(rng)):
        parent = None if kind == "top" else rng.choice(tops if kind == "reply" else replies)
        (tops if kind == "top" else replies if kind == "reply" else []).append(index)
        author = rng.choice(_AUTHORS)
        email = f"reader{rng.randrange(40)}@example.com" if author else ""
        made.append(GeneratedComment(index, parent, author, email, _text(rng)))
    return made


def _order(rng: random.Random) -> list[str]:
    """The kinds in posting order: a top-level comment first, a reply before any reply to a reply,
    and replies mixed in among the top-level comments as a live thread's are."""
    replies = ["reply"] * REPLIES + ["deep"] * DEEP_REPLIES
    rng.shuffle(replies)
    first = replies.index("reply")
    replies[0], replies[first] = replies[first], replies[0]
    tops = COMMENTS - len(replies) - 1
    order = ["top"]
    while tops or replies:
        if tops and (not replies or rng.random() < tops / (tops + len(replies))):
            order.append("top")
            tops -= 1
        else:
            order.append(replies.pop(0))
    return order


def depth(comments: list[GeneratedComment], index: int) -> int:
    """0 for a top-level comment, 1 for a reply to one, 2 for a reply to a reply."""
    level = 0
    parent = comments[index].parent
    while parent is not None:
        level += 1
        parent = comments[parent].parent
    return level


def isso_parents(comments: list[GeneratedComment]) -> list[int | None]:
    """Where Isso stores each comment's parent: a reply to a reply goes under its top-level comment."""
    top: list[int | None] = []
    for comment in comments:
        if comment.parent is None:
            top.append(None)
        else:
            root = top[comment.parent]
            top.append(comment.parent if root is None else root)
    return top
