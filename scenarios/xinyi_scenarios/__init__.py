"""Built-in "信用+" scenarios (内置场景).

Each module or package here is one scenario, published as an entry point in the group
``xinyi_api.scenarios`` in ``pyproject.toml`` — the same mechanism a department's own package
uses. Modules starting with ``_`` are shared helpers, not scenarios.
"""
