-- Scenario grades that are never stale (docs/plugins.md, "Never stale").
--
-- One row per scenario key ever enabled. `fingerprint` identifies what grades under the scheme
-- depend on besides the files: the rule version, the coverage (subject types, industries) and
-- whether the scenario is enabled. A start that sees another fingerprint records it and resets
-- `cursor`; one worker then regrades the covered subjects in id order in the background, moving
-- `cursor` after each batch, and sets `refreshed = fingerprint` at the end. Until then a stored
-- grade under the scheme counts as current only for subjects at or before `cursor`; the others
-- are graded on read.
CREATE TABLE scenario_states (
    scheme       text PRIMARY KEY,
    fingerprint  text NOT NULL,
    enabled      boolean NOT NULL,
    refreshed    text,
    cursor       text NOT NULL DEFAULT '',
    total        integer,
    done         integer NOT NULL DEFAULT 0,
    changed_at   timestamptz NOT NULL DEFAULT now(),
    refreshed_at timestamptz
);
