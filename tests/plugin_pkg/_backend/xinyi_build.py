"""A minimal in-tree PEP 517 build backend: builds a pure-Python wheel from ``src/``.

Only here so the test suite can ``pip install`` this package offline without hatchling or
setuptools; it writes the standard ``.dist-info`` (METADATA, WHEEL, entry_points.txt, RECORD).
"""

from __future__ import annotations

import base64
import hashlib
import tomllib
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _project() -> dict[str, Any]:
    project: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return project


def _dist_info(project: dict[str, Any]) -> dict[str, bytes]:
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {project['name']}",
        f"Version: {project['version']}",
        f"Summary: {project.get('description', '')}",
        f"Requires-Python: {project.get('requires-python', '')}",
        *(f"Requires-Dist: {d}" for d in project.get("dependencies", [])),
    ]
    entry_points = "".join(
        f"[{group}]\n" + "".join(f"{k} = {v}\n" for k, v in entries.items()) + "\n"
        for group, entries in project.get("entry-points", {}).items()
    )
    wheel = "Wheel-Version: 1.0\nGenerator: xinyi_build\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    return {"METADATA": ("\n".join(lines) + "\n").encode(), "WHEEL": wheel.encode(),
            "entry_points.txt": entry_points.encode()}


def _hash(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def build_wheel(wheel_directory: str, config_settings: Any = None,
                metadata_directory: Any = None) -> str:
    project = _project()
    name, version = project["name"].replace("-", "_"), project["version"]
    info = f"{name}-{version}.dist-info"
    files: dict[str, bytes] = {}
    src = ROOT / "src"
    for path in sorted(src.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            files[path.relative_to(src).as_posix()] = path.read_bytes()
    for filename, data in _dist_info(project).items():
        files[f"{info}/{filename}"] = data
    record = [f"{n},sha256={_hash(d)},{len(d)}" for n, d in files.items()] + [f"{info}/RECORD,,"]
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    wheel_name = f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(Path(wheel_directory) / wheel_name, "w", zipfile.ZIP_DEFLATED) as zf:
        for filename, data in files.items():
            zf.writestr(filename, data)
    return wheel_name
