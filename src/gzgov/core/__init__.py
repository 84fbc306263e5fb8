"""Shared kernel: no domain knowledge lives here."""
