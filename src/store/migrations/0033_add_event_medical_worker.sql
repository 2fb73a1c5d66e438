-- An early finish for health reasons is confirmed by a ГЭК member and the medical worker
-- (ППЭ-22); appeals about the procedure filed at the point (ППЭ-02) and their review (ППЭ-03).
ALTER TABLE exam_event ADD COLUMN medical_worker_id TEXT NOT NULL DEFAULT '';

CREATE TABLE appeal (
    appeal_id INTEGER PRIMARY KEY,
    exam_id TEXT NOT NULL,
    ppe_code TEXT NOT NULL,
    participant_id TEXT NOT NULL,
    filed_at TEXT NOT NULL,
    text TEXT NOT NULL,
    gek_worker_id TEXT NOT NULL,
    actor TEXT NOT NULL,
    reviewed_at TEXT,
    review_gek_worker_id TEXT,
    review_findings TEXT,
    review_upheld INTEGER,
    review_actor TEXT
) STRICT;
CREATE INDEX appeal_exam ON appeal (exam_id, ppe_code);
