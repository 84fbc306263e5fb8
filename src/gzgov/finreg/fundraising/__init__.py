"""Illegal-fundraising monitoring: reading enterprise data and marketing texts for signs of public fundraising."""
