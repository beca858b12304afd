"""Server-rendered pages: find, concept, guideline, and the author workspace.

One blueprint, `bp`, registered at `/` (its assets under `/assets/`). Pages are Jinja templates over the
same body builders the API uses (`service.representations`: `concept_body`, `links_body`, `guideline_body`; and `search`, `map_text`,
`resolve_code`, ECL `evaluate`), so a page and its API answer never disagree. JavaScript is a progressive
enhancement (autocomplete, filling a concept id): every page and form works without it.

Security: every response of this blueprint carries a strict Content-Security-Policy (scripts, styles,
fetches and form posts only from this origin, no inline code), and every POST needs the CSRF token of
the browser session (see `security.py`). Rendered Markdown is the API's sanitised HTML.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint(
    "web",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/assets",
)

from . import common, pages, security, workspace  # noqa: E402,F401  (routes and hooks register themselves on bp)

__all__ = ["bp"]
