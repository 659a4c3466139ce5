"""``xinyi-api codes export``: the same job as over HTTP, run in the command with a progress bar."""

from __future__ import annotations

import asyncio
import csv
import io
import zipfile
from pathlib import Path

from click.testing import CliRunner

from tests.conftest import TEST_SECRET, uscc
from xinyi_api.cli import main
from xinyi_api.db.pool import connect


def seed(url: str) -> None:
    async def go() -> None:
        conn = await connect(url)
        try:
            await conn.executemany(
                "INSERT INTO subjects (id, type, uscc, name, region_code, industry)"
                " VALUES ($1, 'enterprise', $2, $3, '340403', 'beef_soup')",
                [(f"E{i:08d}", uscc(800 + i), f"牛肉汤公司{i}") for i in (1, 2)])
            await conn.executemany(
                "INSERT INTO subjects (id, type, enterprise_id, name, region_code, industry)"
                " VALUES ($1, 'store', $2, $3, '340403', 'beef_soup')",
                [(f"S{i:08d}", f"E{i:08d}", f"=老韩家{i}号店") for i in (1, 2)])
        finally:
            await conn.close()

    asyncio.run(go())


def test_codes_export_writes_a_zip_and_continues_a_finished_job(
    database_url: str, tmp_path: Path,
) -> None:
    seed(database_url)
    env = {"DATABASE_URL": database_url, "XINYI_SECRET_KEY": TEST_SECRET,
           "XINYI_DATA_DIR": str(tmp_path), "XINYI_PUBLIC_BASE_URL": "https://x.example"}
    out = tmp_path / "codes.zip"
    runner = CliRunner()
    result = runner.invoke(main, ["codes", "export", "--kind", "store", "--format", "zip",
                                  "--image", "svg", "-o", str(out)], env=env)
    assert result.exit_code == 0, result.output
    assert "print job 1: 2 code(s)" in result.output
    assert f"2 code(s) → {out}" in result.output
    with zipfile.ZipFile(out) as archive:
        assert archive.testzip() is None
        rows = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode("utf-8-sig"))))
        assert [r["subject_id"] for r in rows] == ["S00000001", "S00000002"]
        assert rows[0]["name"] == "'=老韩家1号店"  # not a formula in a spreadsheet
        assert rows[0]["code_url"].startswith("HTTPS://X.EXAMPLE/C/")
        assert archive.read(rows[0]["file"]).decode().rstrip().endswith("</svg>")

    again = runner.invoke(main, ["codes", "export", "--job", "1", "-o",
                                 str(tmp_path / "again.zip")], env=env)
    assert again.exit_code == 0, again.output
    assert (tmp_path / "again.zip").read_bytes() == out.read_bytes()


def test_codes_export_names_what_is_wrong(database_url: str, tmp_path: Path) -> None:
    env = {"DATABASE_URL": database_url, "XINYI_SECRET_KEY": TEST_SECRET,
           "XINYI_DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(main, ["codes", "export", "--district", "D0000000009"], env=env)
    assert result.exit_code == 1
    assert "unknown-district" in result.output
    result = CliRunner().invoke(main, ["codes", "export", "--region", "34"], env=env)
    assert result.exit_code == 2
    result = CliRunner().invoke(main, ["codes", "export", "--job", "99"], env=env)
    assert result.exit_code == 1 and "no print job 99" in result.output
