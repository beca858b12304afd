"""CDS Hooks decision support without the web layer: Conditions in, guideline cards out, feedback recorded.

`conditions` reads FHIR Conditions (and which statuses skip them), `linking` chooses and ranks the
published guidelines, `cards` renders them as CDS Hooks cards, `services` is the discovery catalogue and
`feedback` keeps issued cards and clinicians' outcomes in the authoring store. The HTTP layer
(JWT checks, FHIR fetches, the blueprint) is `service/cds/`.
"""

from .cards import card, card_uuid
from .conditions import Coding, ConditionIn, conditions_in, read_condition, skip_reason
from .feedback import FeedbackCounts, FeedbackItem, FeedbackStore, IssuedCard, UnknownCardError, feedback_store
from .linking import Choice, Finding, Reading, choose, most_general
from .services import CONDITIONS_KEY, SERVICES, CdsService, service

__all__ = [
    "CONDITIONS_KEY",
    "SERVICES",
    "CdsService",
    "Choice",
    "Coding",
    "ConditionIn",
    "FeedbackCounts",
    "FeedbackItem",
    "FeedbackStore",
    "Finding",
    "IssuedCard",
    "Reading",
    "UnknownCardError",
    "card",
    "card_uuid",
    "choose",
    "conditions_in",
    "feedback_store",
    "most_general",
    "read_condition",
    "service",
    "skip_reason",
]
