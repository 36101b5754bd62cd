"""Safe YAML loading with errors that name the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError


def load_yaml(path: Path | str) -> Any:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: file not found (không tìm thấy tệp cấu hình)")
    try:
        with path.open(encoding="utf-8") as f:
            return yaml.safe_load(f)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"{path}:{where}: malformed YAML ({getattr(e, 'problem', e)}); fix the syntax") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text; save it as UTF-8") from None
    except ValueError as e:  # e.g. an impossible date literal such as 2025-02-30
        raise ConfigError(f"{path}: invalid value ({e}); write dates as valid YYYY-MM-DD") from None
