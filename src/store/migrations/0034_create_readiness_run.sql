-- Technical readiness the day before an exam (DOMAIN.md §2; ППЭ-01-01, 01-02, 01).
-- Box: each run of the checks, with what it found (facts JSON, `protocol::readiness`) and the
-- limits of the day; the verdicts are the pure judgement of these facts.
CREATE TABLE readiness_run (
    run_id INTEGER PRIMARY KEY,
    exam_id TEXT NOT NULL,
    ppe_code TEXT NOT NULL,
    started_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    actor TEXT NOT NULL,
    limits_json TEXT NOT NULL,
    facts_json TEXT NOT NULL,
    reported_at TEXT
) STRICT;
CREATE INDEX readiness_run_by_exam ON readiness_run (exam_id, ppe_code, run_id);

-- Box: the test page each station printed in a run (a fresh sheet number, kind Statement, from
-- the exam point's counter) and its scan back.
CREATE TABLE readiness_test_page (
    run_id INTEGER NOT NULL REFERENCES readiness_run (run_id),
    station TEXT NOT NULL,
    holder TEXT NOT NULL,
    exam_id TEXT NOT NULL,
    sheet_number INTEGER NOT NULL,
    scanned_at TEXT,
    scan_sha256 TEXT,
    PRIMARY KEY (run_id, station),
    UNIQUE (exam_id, sheet_number)
) STRICT;
