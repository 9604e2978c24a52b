"""Readers of the public sources. Each returns the tidy table described in sources/schema.py."""
