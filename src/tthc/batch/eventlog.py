"""Plain-text event logs of a batch: one timestamped line per event, flushed at once so a killed batch keeps them."""

from __future__ import annotations

import errno
import os
from datetime import datetime
from pathlib import Path


class EventLog:
    """Append (``mode="a"``, the period's ``batch.log``) or overwrite (``mode="w"``, a run's ``run.log``).

    Each line goes to the file in one ``write`` of the whole line; a write the disk cannot take (full disk: short
    write or ENOSPC) is cut back to the end of the previous line and raises OSError naming the file, so the log is
    never left with half a line. ``f`` is a text stream on the same file for code that wants one (e.g. stderr)."""

    def __init__(self, path: Path, mode: str = "a"):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = Path(path)
        self.f = open(path, mode, encoding="utf-8")

    def __call__(self, msg: str) -> None:
        self.f.flush()  # whatever went through .f first, in order
        data = f"{datetime.now().isoformat(timespec='milliseconds')} {msg}\n".encode("utf-8")
        fd = self.f.fileno()
        end = os.lseek(fd, 0, os.SEEK_END)
        try:
            n = os.write(fd, data)
            if n != len(data):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self.path))
        except OSError as e:
            try:
                os.ftruncate(fd, end)  # no half line
                os.lseek(fd, end, os.SEEK_SET)
            except OSError:
                pass
            raise OSError(e.errno, e.strerror or str(e), str(self.path)) from None

    def close(self) -> None:
        try:
            self.f.close()
        except OSError:  # the disk filled after the last line: nothing more to keep
            pass
