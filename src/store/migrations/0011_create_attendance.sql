-- Sheets issued to participants (individual kits) and exam-day events (order 805 §13.3).
CREATE TABLE sheet_issue (
    exam_id TEXT NOT NULL,
    ppe_code TEXT NOT NULL,
    kind TEXT NOT NULL,
    number INTEGER NOT NULL,
    participant_id TEXT,
    kit INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('issued', 'voided')),
    issued_at TEXT NOT NULL,
    voided_at TEXT,
    void_reason TEXT,
    PRIMARY KEY (exam_id, ppe_code, number)
) STRICT;
CREATE INDEX sheet_issue_participant ON sheet_issue(exam_id, participant_id);

CREATE TABLE exam_event (
    id INTEGER PRIMARY KEY,
    exam_id TEXT NOT NULL,
    participant_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    at TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    gek_worker_id TEXT NOT NULL DEFAULT '',
    actor TEXT NOT NULL,
    recorded_at TEXT NOT NULL
) STRICT;
CREATE INDEX exam_event_exam ON exam_event(exam_id, participant_id, id);
