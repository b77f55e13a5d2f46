"""Tables, column types and keys, planner hints, and the bulk benchmark data."""

from . import api_keys, invoicing, messaging, models, reporting

__all__ = ["api_keys", "invoicing", "messaging", "models", "reporting"]
