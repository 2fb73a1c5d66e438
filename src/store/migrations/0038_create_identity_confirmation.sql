-- A participant who came without an identity document, identified by the person accompanying
-- them from their school (ППЭ-20): one confirmation per participant and exam.
CREATE TABLE identity_confirmation (
    exam_id TEXT NOT NULL,
    ppe_code TEXT NOT NULL,
    participant_id TEXT NOT NULL,
    escort_name TEXT NOT NULL,
    escort_document TEXT NOT NULL,
    gek_worker_id TEXT NOT NULL,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (exam_id, participant_id)
) STRICT;
