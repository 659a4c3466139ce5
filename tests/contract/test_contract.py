"""The whole OpenAPI document under schemathesis, as every role (``tests/contract/run.py``).

Slow (about two minutes): excluded from the default run, selected with ``pytest -m contract``;
CI runs it once.
"""

from __future__ import annotations

import pytest

from tests.contract.run import main

pytestmark = pytest.mark.contract


def test_no_server_error_and_no_answer_the_document_does_not_describe_for_any_role(
        capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--max-time", "20"])
    out = capsys.readouterr().out
    assert code == 0, out
