"""``http://`` images and links in imported bodies: upgraded where the host serves HTTPS, counted elsewhere.

A page served over HTTPS shows no ``http://`` image (browsers block or flag mixed
content), and old Blogger and WordPress.com posts are full of them. The hosts
below serve the same file at the same path over HTTPS, so the address is
rewritten; any other host is left as it was (its owner may not serve HTTPS) and
counted for the import report, so the operator can look.
"""

from __future__ import annotations

import re
from collections import Counter
from urllib.parse import urlsplit

# Hosts (and their subdomains) known to serve the same content over HTTPS: Blogger's image and blog
# hosts, WordPress.com's blogs, uploads and image CDN (i0.wp.com …).
HTTPS_HOSTS = ("bp.blogspot.com", "blogspot.com", "blogger.googleusercontent.com", "googleusercontent.com",
               "wordpress.com", "files.wordpress.com", "wp.com")
_HTTP_ATTRIBUTE = re.compile(r"""(\b(?:src|href)\s*=\s*)(["']?)(http://[^\s"'<>]+)""", re.IGNORECASE)


def serves_https(host: str) -> bool:
    host = host.lower().rstrip(".")
    return any(host == known or host.endswith("." + known) for known in HTTPS_HOSTS)


class Upgrades:
    """Rewrites the ``src``/``href`` addresses of one import's bodies; remembers the hosts it left on http."""

    def __init__(self) -> None:
        self.upgraded = 0
        self.kept: Counter[str] = Counter()  # host -> addresses left on http://

    def apply(self, markup: str) -> str:
        return _HTTP_ATTRIBUTE.sub(self._one, markup) if "http://" in markup.lower() else markup

    def _one(self, found: re.Match[str]) -> str:
        prefix, quote, url = found.groups()
        try:
            host = urlsplit(url).hostname or ""
        except ValueError:
            host = ""
        if host and serves_https(host):
            self.upgraded += 1
            return f"{prefix}{quote}https://{url[len('http://'):]}"
        self.kept[host or "(no host)"] += 1
        return found.group(0)

    def notes(self) -> list[str]:
        """The report's lines: what was upgraded, and which hosts were left on http (most addresses first)."""
        lines = []
        if self.upgraded:
            lines.append(f"{self.upgraded} http:// image and link addresses on hosts that serve HTTPS "
                         "(Blogger, WordPress.com) upgraded to https://")
        if self.kept:
            hosts = ", ".join(f"{host} ({n})" for host, n in self.kept.most_common(20))
            more = f" and {len(self.kept) - 20} more hosts" if len(self.kept) > 20 else ""
            lines.append(f"{sum(self.kept.values())} http:// addresses kept as they were, on hosts not known "
                         f"to serve HTTPS: {hosts}{more}")
        return lines
