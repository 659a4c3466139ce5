-- Merchants see how each abuse report (举报恶意评价) they filed was decided
-- (GET /api/v1/merchant/reports): a report keeps its store and the moderation decision that
-- resolved it, and outlives the rating — a consumer may still delete their rating for good; the
-- report then loses its rating_id, not its outcome.

ALTER TABLE rating_reports ADD COLUMN subject_id text REFERENCES subjects (id);
ALTER TABLE rating_reports ADD COLUMN decision_id bigint REFERENCES rating_decisions (id);

UPDATE rating_reports p SET subject_id = r.subject_id FROM ratings r WHERE r.id = p.rating_id;
ALTER TABLE rating_reports ALTER COLUMN subject_id SET NOT NULL;

-- Reports resolved before this migration: the decision on their rating taken closest to the
-- moment the report was resolved (both are written by the same moderation request).
UPDATE rating_reports p
SET decision_id = (SELECT d.id FROM rating_decisions d
                   WHERE d.rating_id = p.rating_id
                   ORDER BY abs(extract(epoch FROM d.decided_at - p.resolved_at)), d.id
                   LIMIT 1)
WHERE p.resolved_at IS NOT NULL;

ALTER TABLE rating_reports ALTER COLUMN rating_id DROP NOT NULL;
ALTER TABLE rating_reports DROP CONSTRAINT rating_reports_rating_id_fkey;
ALTER TABLE rating_reports ADD CONSTRAINT rating_reports_rating_id_fkey
    FOREIGN KEY (rating_id) REFERENCES ratings (id) ON DELETE SET NULL;

CREATE INDEX rating_reports_merchant_idx ON rating_reports (merchant_id, created_at DESC, id DESC);
CREATE INDEX complaints_subject_idx ON complaints (subject_id, created_at DESC);
