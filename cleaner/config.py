"""Options from a TOML file (`--config cleantext.toml`).

Keys are the long option names with dashes or underscores, at the top level
or under a `[cleantext]` table; options given on the command line win.
"""
from __future__ import annotations

import tomllib
from pathlib import Path


def load_config(path: Path) -> dict:
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise ValueError(f"cannot read config {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"config {path} is not valid TOML: {exc}") from exc
    data = data.get("cleantext", data)
    return {key.replace("-", "_"): value for key, value in data.items()}
