"""Tables, column types and keys, planner hints, and the bulk benchmark data."""

from . import invoicing, messaging, models, reporting

__all__ = ["invoicing", "messaging", "models", "reporting"]
