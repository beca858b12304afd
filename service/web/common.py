"""What every page shares: the chosen dialect, links that keep it, and who is signed in."""

from __future__ import annotations

from typing import Any

from flask import request, url_for

from terminology.dialects import NAMES

from ..auth import session_principal
from ..context import services
from . import bp

DIALECTS = ("en-US", "en-GB")


def current_lang() -> str | None:
    """The dialect asked for with `?lang=` (en-US or en-GB, any case), or None for the release default."""
    value = (request.args.get("lang") or "").strip().lower()
    for d in DIALECTS:
        if d.lower() == value:
            return d
    return None


def dialects() -> list[str]:
    """The dialects this release has a language refset for, by name."""
    t = services().terminology
    names = [NAMES[r] for r in t.language_refsets if r in NAMES]
    return [d for d in DIALECTS if d in names]


def default_dialect() -> str | None:
    """The dialect terms are in when none is chosen (the release's first language refset)."""
    t = services().terminology
    return NAMES.get(t.language_refsets[0]) if t.language_refsets else None


def url(endpoint: str, **values: Any) -> str:
    """url_for that keeps the chosen dialect."""
    lang = current_lang()
    if lang and "lang" not in values:
        values["lang"] = lang
    return url_for(endpoint, **values)


def with_lang(lang: str | None) -> str:
    """This page's URL in another dialect."""
    args = request.args.to_dict()
    args.pop("lang", None)
    if lang:
        args["lang"] = lang
    return url_for(request.endpoint or "web.find", **(request.view_args or {}), **args)


def signed_in() -> Any:
    """The token owner of this browser's server-side session (TokenInfo), re-checked once per request, or None.

    When reads need a token, `service.auth`'s app-wide guard answers pages without a session with the sign-in form.
    """
    return session_principal()


@bp.context_processor
def _page_context() -> dict[str, Any]:
    return {
        "lang": current_lang(),
        "dialects": dialects(),
        "default_dialect": default_dialect(),
        "url": url,
        "with_lang": with_lang,
        "who": signed_in(),
    }
