-- Audio recordings of oral exams and КЕГЭ answer files taken in per participant (issue 18
-- item 4): the file kept by content under state_dir/recordings/<exam_id>/, what the decoder
-- found, whose it is, and a file kept for a person with its defect and Russian reason (never
-- dropped; a person attaches it to a participant or sets it aside). No foreign key to the plan:
-- a plan replaced later never deletes a recording.
CREATE TABLE recording_file (
    file_id TEXT PRIMARY KEY,
    exam_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('recording', 'answer_file')),
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    path TEXT NOT NULL,
    source_name TEXT NOT NULL,
    taken_at TEXT NOT NULL,
    participant_id TEXT,
    duration_ms INTEGER,
    rms_dbfs REAL,
    facts TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('matched', 'to_resolve', 'set_aside')),
    defect TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL DEFAULT '',
    resolved_by TEXT,
    resolved_at TEXT,
    resolution TEXT NOT NULL DEFAULT '',
    UNIQUE (exam_id, sha256)
) STRICT;
CREATE INDEX recording_file_participant ON recording_file (exam_id, participant_id);
