"""信用+ scenarios: the whole seam between the core and the scenario plugins, in one package.

What a scenario plugin may use is ONE module, ``xinyi_api.scenarios.kit`` (docs/plugins.md);
everything else here is the core's side and may change without notice:

- ``model``     the declarations: ``Scenario``, ``Measure``, effects, ``Basis``, ``indicator``;
- ``catalog``   the national list (措施清单) that bounds every measure;
- ``loader``    finding plugins (entry points) and validating them, reporting every problem;
- ``registry``  the enabled scenarios of a process, built once and shared;
- ``routes``, ``service``, ``schemas``   the generic endpoints every scenario gets;
- ``partners``  participants (参与单位) and redemptions of person incentives;
- ``context``, ``deps``   the ``ctx`` a scenario's own endpoints get;
- ``config``    a scenario's settings from ``XINYI_SCENARIO_<KEY>_<FIELD>``;
- ``freshness`` scenario grades that are never stale (fingerprints, the background refresh).

The kit for authors (docs/scenario-kit.md):

- ``cli``       ``xinyi-api scenarios list / show / check [PATH] [--diff] / new KEY``;
- ``checking``  what ``check`` validates, installed or a package directory;
- ``diff``      ``check --diff``: grades under a new rule version against the stored ones;
- ``skeleton`` and ``template/``   ``new``: the package skeleton, rendered from ``*.tmpl`` files;
- ``testing``   offline helpers (``make_file``, ``grade_offline`` …), exported by ``kit``;
- (``xinyi_api.pytest_plugin``, outside the package because it builds an app: the
  ``scenario_…`` fixtures, a ``pytest11`` plugin.)

Nothing is imported here, so the core can import one part without loading the rest.
"""
