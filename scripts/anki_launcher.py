"""Start real Anki (aqt) with this add-on and a ready-made profile.

Used by `make run` (the README's first command), by the test harness and by
the benchmark.  Not part of the add-on package.

    python scripts/anki_launcher.py [--base DIR] [--profile NAME]
                                    [--addon-name NAME] [--copy]
                                    [--config JSON] [--extra-addon DIR ...]

With no display (no DISPLAY / WAYLAND_DISPLAY) Anki runs offscreen.
"""
from __future__ import annotations

import argparse
import faulthandler
import json
import os
import shutil
import signal
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# What makes up the add-on: everything Anki needs, nothing else.  The package
# builder (scripts/package.py) and the test harness use this same list.
# Every .py file at the repo root is part of it; so are these.
ADDON_FILES = ["config.json", "config.schema.json", "config.md", "manifest.json", "LICENSE"]
ADDON_DIRS = ["actions", "hosts"]


def addon_paths() -> list[Path]:
    """Files and folders of the add-on package that exist in the repo."""
    paths = sorted(REPO.glob("*.py")) + [REPO / n for n in ADDON_FILES + ADDON_DIRS]
    return [p for p in paths if p.exists()]


def install_addon(addons_dir: Path, name: str, copy: bool) -> Path:
    """Put the add-on into `addons_dir/name`, as a symlink (dev) or a copy."""
    target = addons_dir / name
    if target.is_symlink() or target.is_file():
        target.unlink()
    elif target.exists():
        shutil.rmtree(target)
    addons_dir.mkdir(parents=True, exist_ok=True)
    if not copy:
        target.symlink_to(REPO, target_is_directory=True)
        return target
    target.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for src in addon_paths():
        if src.is_dir():
            shutil.copytree(src, target / src.name, ignore=ignore)
        else:
            shutil.copy2(src, target / src.name)
    return target


def prepare_base(base: Path, profile: str) -> None:
    """Create Anki's base folder with one profile, so no first-run dialog shows."""
    os.environ.setdefault("QT_QPA_PLATFORM", _default_platform())
    from aqt.profiles import ProfileManager

    base.mkdir(parents=True, exist_ok=True)
    pm = ProfileManager(base)
    pm.setupMeta()
    pm.meta["defaultLang"] = pm.meta.get("defaultLang") or "en_US"
    pm.meta["firstRun"] = False
    pm.create(profile)
    pm.db.execute(
        "update profiles set data=? where name='_global'", pm._pickle(pm.meta)
    )
    pm.db.commit()
    pm.db.close()


def write_addon_config(addon_dir: Path, config: dict) -> None:
    """Store the add-on's user config as Anki does (meta.json)."""
    meta_path = addon_dir / "meta.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    meta["config"] = config
    meta_path.write_text(json.dumps(meta))


def _default_platform() -> str:
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return ""
    return "offscreen"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", default=str(REPO / ".anki-profile"))
    parser.add_argument("--profile", default="User 1")
    parser.add_argument("--addon-name", default="ankiconnect")
    parser.add_argument("--copy", action="store_true",
                        help="copy the add-on instead of symlinking it")
    parser.add_argument("--no-addon", action="store_true",
                        help="do not install the add-on (tests install a package)")
    parser.add_argument("--config", help="add-on config as JSON (meta.json)")
    parser.add_argument("--extra-addon", action="append", default=[],
                        help="folder of another add-on to install (tests)")
    args = parser.parse_args(argv)

    platform = _default_platform()
    if platform and not os.environ.get("QT_QPA_PLATFORM"):
        os.environ["QT_QPA_PLATFORM"] = platform
    if os.environ.get("QT_QPA_PLATFORM") == "offscreen" or os.geteuid() == 0:
        # Chromium's sandbox cannot run offscreen containers or as root.
        os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")
        os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")
    base = Path(args.base).resolve()
    os.environ.setdefault("ANKI_SINGLE_INSTANCE_KEY", "ankiconnect-" + str(base))
    prepare_base(base, args.profile)
    addons = base / "addons21"
    addons.mkdir(parents=True, exist_ok=True)
    if not args.no_addon:
        addon_dir = install_addon(addons, args.addon_name, args.copy)
        if args.config is not None:
            write_addon_config(addon_dir, json.loads(args.config))
    for extra in args.extra_addon:
        src = Path(extra).resolve()
        dst = addons / src.name
        if dst.is_symlink() or dst.exists():
            dst.unlink() if dst.is_symlink() else shutil.rmtree(dst)
        dst.symlink_to(src, target_is_directory=True)

    if hasattr(signal, "SIGUSR1"):
        # `kill -USR1 <pid>` prints every thread's stack (to debug a hang).
        faulthandler.register(signal.SIGUSR1, all_threads=True)
    import aqt

    try:  # Anki before 23.10 reads the single-instance key from the class
        aqt.AnkiApp.KEY = os.environ["ANKI_SINGLE_INSTANCE_KEY"]  # type: ignore
    except AttributeError:
        pass
    sys.argv = [sys.argv[0], "-b", str(base), "-p", args.profile]
    aqt.run()


if __name__ == "__main__":
    main()
