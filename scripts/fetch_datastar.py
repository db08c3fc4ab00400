"""Fetch the pinned Datastar 1.0 browser bundle from the Python package index.

The npm registry holds only Datastar 1.0.0-beta.11, whose SSE events do not
match datastar-py 1.0. The `stario-create` wheel ships the 1.0.4 bundle
unmodified; we take it from there, check its hash, and place it under
static/vendor/ (gitignored: third-party code is fetched, never committed).
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

PACKAGE = "stario-create==5.2.0"
MEMBER = "stario_create/vendor/datastar.js"
SHA256 = "727844adfc825ee651fb93c544a2a739986f9a21820a94524b35f0cac470cf91"
TARGET = Path(__file__).resolve().parent.parent / "static" / "vendor" / "datastar.js"


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def main() -> None:
    if TARGET.exists() and digest(TARGET.read_bytes()) == SHA256:
        return
    with tempfile.TemporaryDirectory() as tmp:
        # The wheel declares Python 3.14; we only want one file out of it.
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
             "--ignore-requires-python", "--only-binary=:all:", "--dest", tmp, PACKAGE],
            check=True,
        )
        wheel = next(Path(tmp).glob("*.whl"))
        data = zipfile.ZipFile(wheel).read(MEMBER)
    if digest(data) != SHA256:
        sys.exit(f"Datastar bundle hash mismatch: got {digest(data)}, expected {SHA256}")
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    TARGET.write_bytes(data)
    print(f"Datastar v1.0.4 placed at {TARGET.relative_to(Path.cwd()) if TARGET.is_relative_to(Path.cwd()) else TARGET}")


if __name__ == "__main__":
    main()
