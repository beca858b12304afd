"""The API blueprints, one per resource; `BLUEPRINTS` is what the app factory registers, in this order."""

from . import annotate, authoring, batch, concepts, ecl, guidelines, health, resolve, search

BLUEPRINTS = tuple(m.bp for m in (health, concepts, search, annotate, resolve, batch, ecl, guidelines, authoring))
