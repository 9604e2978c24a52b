"""Diagnostic social de territoire : données publiques, notebooks paramétrés, livrables."""

__version__ = "0.1.0"
