"""The console's Jinja2 environment: templates from ``templates/``, autoescaped, with the
filters the pages share.

- ``when``: an aware datetime as ``<time datetime="...Z">2026-11-24 14:05 UTC</time>``; the
  page's script rewrites it in the browser's time zone, and without script it stays exact.
- ``ago``: "3 min ago" / "in 2 h" relative to now, for due times and last seen.
- ``grams``: an exact Decimal weight, thousands grouped, never rounded ("1,530.45 g").
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"


def when(value: datetime | None) -> Markup:
    if value is None:
        return Markup("<span class='none'>never</span>")
    utc = value.astimezone(UTC)
    iso = utc.isoformat().replace("+00:00", "Z")
    return Markup('<time datetime="{}">{} UTC</time>').format(iso, utc.strftime("%Y-%m-%d %H:%M"))


def span(delta: timedelta) -> str:
    """A duration in the largest unit that fits: "45 s", "12 min", "5 h", "3 days"."""
    seconds = abs(delta.total_seconds())
    if seconds < 60:
        return f"{int(seconds)} s"
    if seconds < 3600:
        return f"{int(seconds // 60)} min"
    if seconds < 2 * 86400:
        return f"{int(seconds // 3600)} h"
    return f"{int(seconds // 86400)} days"


def ago(value: datetime | None, now: datetime) -> str:
    if value is None:
        return "never"
    delta = value - now
    if abs(delta.total_seconds()) < 10:
        return "just now"
    return f"in {span(delta)}" if delta.total_seconds() > 0 else f"{span(delta)} ago"


def grams(value: Decimal | None) -> str:
    if value is None:
        return "-"
    if value >= 1000:
        return f"{value:,f} g"
    return f"{value:f} g"


def uid_short(uid: str) -> Markup:
    """A 24-character UID with its distinguishing tail in bold (the tail is what people read)."""
    if len(uid) <= 8:
        return Markup("<span class='uid'>{}</span>").format(uid)
    return Markup("<span class='uid' title='{0}'>{1}<b>{2}</b></span>").format(
        uid, uid[:-5], uid[-5:]
    )


def make_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,  # a typo in a template fails a test instead of showing ""
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(when=when, ago=ago, grams=grams, uid=uid_short, escape=escape)
    return env


ENV = make_environment()


def render(name: str, **context: Any) -> str:
    return ENV.get_template(name).render(**context)
