"""Writes of pooled purchasing, one module per stage of a round."""
