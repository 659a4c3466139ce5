-- 经营者 merchants and the enterprises they have claimed. The claim flow (one-time claim codes)
-- fills this table; every merchant permission is scoped through it.
CREATE TABLE merchant_links (
    merchant_id    text NOT NULL CHECK (length(merchant_id) BETWEEN 1 AND 100),
    enterprise_id  text NOT NULL REFERENCES subjects (id),
    linked_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (merchant_id, enterprise_id)
);
CREATE INDEX merchant_links_enterprise_idx ON merchant_links (enterprise_id);
