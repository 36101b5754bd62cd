"""User-facing errors: one clear message a clerk can act on, never a traceback."""


class TthcError(Exception):
    """An error whose message is shown to the user as-is by the CLI (exit code 2)."""


class ConfigError(TthcError):
    """A configuration file under params/ is malformed or inconsistent (message names file, key and fix)."""


class InputError(TthcError):
    """An input export cannot be read at all (message names the file and what to do)."""


class ParameterError(TthcError):
    """A report parameter (unit, period, window, lang) is invalid; the message lists valid choices."""
