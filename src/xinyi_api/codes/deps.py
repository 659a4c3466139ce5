"""Dependencies the 诚信码 package provides to handlers: ``signer`` (for ``code_url`` fields)."""

from __future__ import annotations

from litestar.datastructures import State
from litestar.di import NamedDependency, Provide

from xinyi_api.codes.signer import CodeSigner
from xinyi_api.state import platform_of


def _signer(state: State) -> CodeSigner:
    codes = platform_of(state).codes
    assert codes is not None
    return codes.signer


DEPENDENCIES = {"signer": Provide(_signer, sync_to_thread=False)}
SignerDep = NamedDependency[CodeSigner]
"""The 诚信码 signer, for ``code_url`` fields."""
