"""Extraction: which accounts to ask for in a run, and the platform batches that ask."""
