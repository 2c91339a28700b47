"""Build ankiconnect.ankiaddon: the add-on as Anki installs it.

Holds only what Anki needs (the files `anki_launcher.addon_paths()` lists:
the root .py modules, actions/, hosts/, config, manifest, license), never
tests, caches, virtualenvs or dev files.

    python scripts/package.py [--out PATH]
"""
from __future__ import annotations

import argparse
import sys
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from anki_launcher import REPO, addon_paths  # noqa: E402


def package_files() -> list[Path]:
    files = []
    for path in addon_paths():
        candidates = sorted(path.rglob("*")) if path.is_dir() else [path]
        for f in candidates:
            if f.is_file() and "__pycache__" not in f.parts and f.suffix != ".pyc" \
                    and f.name != "meta.json":
                files.append(f)
    return files


def build(out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in package_files():
            zf.write(f, f.relative_to(REPO).as_posix())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default=str(REPO / "dist" / "ankiconnect.ankiaddon"))
    out = build(Path(parser.parse_args().out))
    print(f"{out} ({out.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
