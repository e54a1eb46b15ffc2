"""Hits + profiles -> ranked people with evidence (the expertise issue builds it)."""
