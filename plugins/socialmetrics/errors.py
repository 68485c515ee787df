"""Errors a user can cause, each carrying one message that says what to do."""


class SocialMetricsError(Exception):
    """Base class: the message is complete and meant for the person running the pipeline."""


class ConfigurationError(SocialMetricsError):
    """A connection, Variable or setting is missing or wrong."""
