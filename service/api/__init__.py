"""The API blueprints, one per concern."""
