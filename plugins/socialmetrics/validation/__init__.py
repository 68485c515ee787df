"""Validation of staging frames with Great Expectations (GX Core 1.x), suites kept as code."""
