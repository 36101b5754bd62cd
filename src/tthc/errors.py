"""User-facing errors: one clear message a clerk can act on, never a traceback."""


class TthcError(Exception):
    """An error whose message is shown to the user as-is by the CLI (exit code 2)."""


class ConfigError(TthcError):
    """A configuration file under params/ is malformed or inconsistent (message names file, key and fix)."""


class InputError(TthcError):
    """An input export cannot be read at all (message names the file and what to do)."""


class Interrupted(KeyboardInterrupt):
    """SIGTERM (or another stop signal) turned into the same orderly stop as Ctrl-C; ``signum`` says which."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def raise_interrupted(signum, _frame=None):
    """Signal handler: stop like Ctrl-C (``finally`` blocks run, logs get their last line)."""
    raise Interrupted(signum)


class ParameterError(TthcError):
    """A report parameter (unit, period, window, lang) is invalid; the message lists valid choices."""


def os_error_line(e: OSError, path=None, fix: str = "") -> str:
    """One line for an OS error (full disk, read-only or unwritable folder, …) naming the path: the error's own
    ``filename`` when it has one, else ``path`` (what the command was writing); ``fix`` says what to do."""
    import errno

    where = e.filename or path or "(unknown path)"
    reason = e.strerror or str(e) or type(e).__name__
    if not fix:
        fix = {errno.ENOSPC: "free space on that disk or write elsewhere",
               errno.EDQUOT: "free space on that disk or write elsewhere",
               errno.EROFS: "the file system is read-only; write elsewhere",
               errno.EACCES: "check the folder's owner and mode, or write elsewhere"}.get(e.errno, "")
    return f"{where}: {reason}" + (f"; {fix}" if fix else "")
