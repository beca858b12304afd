"""CDS Hooks 2.0 over HTTP: discovery, the three guideline services, feedback (the domain is terminology/cds)."""

from .blueprint import bp

__all__ = ["bp"]
