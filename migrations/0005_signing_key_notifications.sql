-- Announce every change of the signing keys, so each worker reloads them at once.
--
-- `xinyi-api keys rotate` and `keys retire` write signing_keys from another process; a worker
-- only learnt of it when it met an unknown kid, so a retired key kept verifying (and signing)
-- until the worker restarted. Every worker now LISTENs on 'xinyi_keys' (xinyi_api.keys.KeyWatcher)
-- and reloads its keys when this fires — on commit, once per transaction — and every 30 s in
-- any case. The payload is empty: the keys are few, a worker reads them all again.
CREATE FUNCTION xinyi_notify_signing_keys() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('xinyi_keys', '');
    RETURN NULL;
END $$;

CREATE TRIGGER signing_keys_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON signing_keys
    FOR EACH STATEMENT EXECUTE FUNCTION xinyi_notify_signing_keys();
