"""The extension registry: every hook is documented, the core registers through it like any
plugin, and a third-party module of hooks adds to the app and the CLI."""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from pathlib import Path

import pluggy
import pytest
from click.testing import CliRunner
from litestar import get
from litestar.testing import AsyncTestClient

from tests.conftest import app_at
from xinyi_api import hookspecs
from xinyi_api.plugins import DEFAULT_PLUGINS, collect, plugin_manager
from xinyi_api.settings import Settings

DOC = (Path(__file__).resolve().parents[1] / "docs" / "extensions.md").read_text(encoding="utf-8")
HOOKS = sorted(name for name, fn in vars(hookspecs).items()
               if inspect.isfunction(fn) and hasattr(fn, "xinyi_api_spec"))


def test_there_are_hooks_to_document() -> None:
    assert {"route_handlers", "cli_commands", "scheduled_jobs", "grade_loaders"} <= set(HOOKS)


@pytest.mark.parametrize("name", HOOKS)
def test_every_hook_has_a_heading_with_signature_and_example(name: str) -> None:
    match = re.search(rf"^### `{name}`\s*$", DOC, re.MULTILINE)
    assert match is not None, f"docs/extensions.md has no '### `{name}`' heading"
    rest = DOC[match.end():]
    end = re.search(r"^#{1,3} ", rest, re.MULTILINE)
    section = rest[: end.start()] if end else rest
    assert f"def {name}(" in section, f"the {name} section needs its signature"
    assert "@hookimpl" in section, f"the {name} section needs an example implementation"


def test_the_core_registers_through_the_hooks_like_any_plugin() -> None:
    manager = plugin_manager()
    registered = {manager.get_name(p) for p in manager.get_plugins()}
    assert set(DEFAULT_PLUGINS) <= registered
    commands = {c.name for c in collect("cli_commands")}
    assert {"serve", "migrate", "audit", "persons", "scenarios", "jobs"} <= commands


class _Extension:
    """A third-party module of hooks, registered the way an entry point would register it."""

    @staticmethod
    @hookspecs.hookimpl
    def route_handlers() -> list[object]:
        @get("/api/v1/ext/hello", sync_to_thread=False)
        def hello() -> dict[str, str]:
            return {"hello": "淮南"}

        return [hello]

    @staticmethod
    @hookspecs.hookimpl
    def cli_commands() -> list[object]:
        import click

        @click.command("hello-ext")
        def hello() -> None:
            """Say hello from an extension."""
            click.echo("你好")

        return [hello]


@pytest.fixture
def extension() -> Iterator[pluggy.PluginManager]:
    manager = plugin_manager()
    manager.register(_Extension, name="test-extension")
    yield manager
    manager.unregister(name="test-extension")
    import importlib

    import xinyi_api.cli

    importlib.reload(xinyi_api.cli)  # the command group without the test's command


async def test_a_third_party_extension_adds_a_route(extension: pluggy.PluginManager,
                                                    settings: Settings) -> None:
    async with AsyncTestClient(app=app_at(settings)) as client:
        r = await client.get("/api/v1/ext/hello")
        assert r.status_code == 200 and r.json() == {"hello": "淮南"}


def test_a_third_party_extension_adds_a_command(extension: pluggy.PluginManager) -> None:
    import importlib

    import xinyi_api.cli as cli

    cli = importlib.reload(cli)
    result = CliRunner().invoke(cli.main, ["hello-ext"])
    assert result.exit_code == 0 and "你好" in result.output
