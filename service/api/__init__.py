"""The API blueprints, one per resource; `BLUEPRINTS` is what the app factory registers, in this order."""

from . import annotate, authoring, concepts, ecl, guidelines, health, resolve, search

BLUEPRINTS = tuple(m.bp for m in (health, concepts, search, annotate, resolve, ecl, guidelines, authoring))
