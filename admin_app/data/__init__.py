"""Tables, column types and keys, planner hints, and the bulk benchmark data."""
