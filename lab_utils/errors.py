"""The lab's exception types: one base class, so a learner's cell can catch them all.

Every error the lab raises on bad input is a `LabError` with a one-line message
that says what was wrong and how to fix it.
"""


class LabError(Exception):
    """Base class of every error the lab raises on purpose."""


class ConfigError(LabError, ValueError):
    """A configuration value is unusable (raised when the `LabConfig` is made)."""


class DataError(LabError, ValueError):
    """A data source is unknown, missing, corrupt, or of the wrong shape or type."""
