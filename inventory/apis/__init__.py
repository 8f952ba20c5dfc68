"""Stock API, one module per area."""
