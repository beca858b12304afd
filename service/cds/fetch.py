"""Fetching a patient's Conditions from the calling EHR's FHIR server, when the client prefetched nothing.

The query is the service's own prefetch template with its tokens filled from the context (the
specification requires prefetched data to equal what this query returns). The bearer token from
`fhirAuthorization` is sent only to the `fhirServer` origin: a `next` page link elsewhere is not followed.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import requests

MAX_PAGES = 20
_TOKEN = re.compile(r"\{\{\s*context\.([A-Za-z0-9_]+)\s*\}\}")


class FhirFetchError(Exception):
    """The FHIR server could not give the Conditions: what went wrong, in words for the integrator."""


def render_template(template: str, context: dict[str, Any]) -> str:
    """A prefetch template with its `{{context.x}}` tokens replaced (URL-encoded); a missing field is an error."""

    def sub(m: re.Match[str]) -> str:
        value = context.get(m.group(1))
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise FhirFetchError(f"context.{m.group(1)} is needed to query the FHIR server")
        return quote(str(value), safe="")

    return _TOKEN.sub(sub, template)


def fetch_bundles(
    fhir_server: str, authorization: dict[str, Any], relative: str, timeout: float
) -> list[dict[str, Any]]:
    """The searchset Bundle pages for `relative` (e.g. "Condition?patient=1"), following `next` on the same origin."""
    base = fhir_server.rstrip("/") + "/"
    origin = urlsplit(base)[:2]
    headers = {"Accept": "application/fhir+json", "Authorization": f"Bearer {authorization['access_token']}"}
    url: str | None = urljoin(base, relative)
    pages: list[dict[str, Any]] = []
    while url and len(pages) < MAX_PAGES:
        pages.append(_get(url, headers, timeout))
        url = next((link.get("url") for link in pages[-1].get("link") or [] if link.get("relation") == "next"), None)
        if url and urlsplit(url)[:2] != origin:
            break
    return pages


def _get(url: str, headers: dict[str, str], timeout: float) -> dict[str, Any]:
    where = urlsplit(url)._replace(query="").geturl()
    try:
        r = requests.get(url, headers=headers, timeout=timeout, allow_redirects=False)
    except requests.Timeout as e:
        raise FhirFetchError(f"the FHIR server at {where} did not answer within {timeout:g} s") from e
    except requests.RequestException as e:
        raise FhirFetchError(f"the FHIR server at {where} could not be reached: {type(e).__name__}") from e
    try:
        data = r.json()
    except ValueError:
        data = None
    if r.status_code != 200:
        why = _diagnostics(data)
        raise FhirFetchError(f"the FHIR server at {where} answered HTTP {r.status_code}" + (f": {why}" if why else ""))
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        raise FhirFetchError(f"the FHIR server at {where} did not answer with a FHIR Bundle")
    return data


def _diagnostics(data: Any) -> str:
    """The issue texts of an OperationOutcome, if the error body is one."""
    if not isinstance(data, dict) or data.get("resourceType") != "OperationOutcome":
        return ""
    texts = [
        i.get("diagnostics") or (i.get("details") or {}).get("text") or i.get("code") for i in data.get("issue") or []
    ]
    return "; ".join(str(t) for t in texts if t)
