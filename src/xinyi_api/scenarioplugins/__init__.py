"""The core's side of scenario plugins: endpoints listing scenarios, a subject's scenario grades
and the measures that apply to it. The plugin interface itself is ``xinyi_api.scenario_api``;
discovery and validation are in ``xinyi_api.scenarios_loader``."""
