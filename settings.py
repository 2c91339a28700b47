# AnkiConnect - drive Anki over a local HTTP API.
# SPDX-License-Identifier: GPL-3.0-or-later
"""The add-on's configuration: defaults, the user's values, environment.

`config.json` holds the defaults (Anki shows them in its config dialog,
documented in `config.md`).  The user's values are layered on top, then the
environment overrides (handy for scripts, containers and tests):

    ANKICONNECT_BIND_ADDRESS   webBindAddress
    ANKICONNECT_BIND_PORT      webBindPort
    ANKICONNECT_CORS_ORIGIN    extra allowed origins, comma separated
    ANKICONNECT_API_KEY        apiKey

A value of the wrong type is replaced by its default (and logged), so a typo
in the config dialog cannot stop the server.  This module must not import aqt.
"""
from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any, Dict, List

log = logging.getLogger("ankiconnect")

DEFAULTS: Dict[str, Any] = json.loads(
    (Path(__file__).parent / "config.json").read_text(encoding="utf-8")
)

_TYPES: Dict[str, Any] = {
    "apiKey": (str, type(None)),
    "apiLogPath": (str, type(None)),
    "webBindAddress": str,
    "webBindPort": int,
    "webCorsOriginList": list,
    "ignoreOriginList": list,
    "webTimeout": (int, float),
    "webMaxRequestBytes": int,
    "mediaFromPath": bool,
    "mediaMaxDownloadBytes": int,
    "disableAppNap": bool,
    "mcpAllowWrites": bool,
    "mcpAllowDestructive": bool,
}


def effective_config(user: Dict[str, Any] | None) -> Dict[str, Any]:
    """Defaults, then the user's config, then the environment; type-checked."""
    config = dict(DEFAULTS)
    for key, value in (user or {}).items():
        expected = _TYPES.get(key)
        if expected is not None and (
            not isinstance(value, expected) or isinstance(value, bool) and expected is int
        ):
            log.warning("AnkiConnect: config %s=%r is not valid; using %r", key, value, DEFAULTS[key])
            continue
        config[key] = value
    # The deprecated single-origin key of older versions still counts.
    origins: List[str] = [o for o in config["webCorsOriginList"] if isinstance(o, str)]
    legacy = config.get("webCorsOrigin")
    if isinstance(legacy, str) and legacy not in origins:
        origins.append(legacy)
    env = os.environ
    if env.get("ANKICONNECT_BIND_ADDRESS"):
        config["webBindAddress"] = env["ANKICONNECT_BIND_ADDRESS"]
    if env.get("ANKICONNECT_BIND_PORT", "").isdigit():
        config["webBindPort"] = int(env["ANKICONNECT_BIND_PORT"])
    for origin in env.get("ANKICONNECT_CORS_ORIGIN", "").split(","):
        if origin.strip() and origin.strip() not in origins:
            origins.append(origin.strip())
    if env.get("ANKICONNECT_API_KEY"):
        config["apiKey"] = env["ANKICONNECT_API_KEY"]
    config["webCorsOriginList"] = origins
    config["ignoreOriginList"] = [o for o in config["ignoreOriginList"] if isinstance(o, str)]
    if not config["apiKey"]:
        config["apiKey"] = None
    return config
