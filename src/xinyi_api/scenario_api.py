"""Deprecated: the scenario interface of earlier releases. Import ``xinyi_api.scenarios.kit``.

Kept for one release so plugins written against it keep loading (docs/plugins.md,
"Stability"); importing it warns.
"""

from __future__ import annotations

import warnings

from xinyi_api.scenarios.kit import *  # noqa: F403
from xinyi_api.scenarios.kit import __all__ as __all__

warnings.warn("xinyi_api.scenario_api is deprecated and goes in the next release: import "
              "xinyi_api.scenarios.kit instead", DeprecationWarning, stacklevel=2)
