-- The plan as РЦОИ publishes it (order 805 §11, §16) and the append-only audit log.
CREATE TABLE exam (
    exam_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    level INTEGER NOT NULL,
    subject_code TEXT NOT NULL,
    subject_name TEXT NOT NULL,
    date TEXT NOT NULL,
    start TEXT NOT NULL,
    duration_min INTEGER NOT NULL,
    materials_open_before_min INTEGER NOT NULL,
    materials_close_after_start_min INTEGER NOT NULL,
    upload_deadline_after_end_min INTEGER NOT NULL,
    utc_offset_min INTEGER NOT NULL
) STRICT;

CREATE TABLE exam_point (
    ppe_code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    ate_code TEXT NOT NULL,
    ate_name TEXT NOT NULL
) STRICT;

CREATE TABLE auditorium (
    ppe_code TEXT NOT NULL REFERENCES exam_point(ppe_code) ON DELETE CASCADE,
    auditorium TEXT NOT NULL,
    rows INTEGER NOT NULL,
    columns INTEGER NOT NULL,
    capacity INTEGER NOT NULL,
    special_needs INTEGER NOT NULL,
    video INTEGER NOT NULL,
    oral INTEGER NOT NULL,
    reserve INTEGER NOT NULL,
    unusable_seats TEXT NOT NULL,
    floor INTEGER NOT NULL,
    PRIMARY KEY (ppe_code, auditorium)
) STRICT;

-- Person records keep the full row as JSON beside the columns that are queried, so that the
-- field set can grow without a migration per field.
CREATE TABLE participant (
    participant_id TEXT PRIMARY KEY,
    surname TEXT NOT NULL,
    name TEXT NOT NULL,
    school_code TEXT NOT NULL,
    doc_key TEXT NOT NULL,
    record TEXT NOT NULL
) STRICT;
CREATE INDEX participant_school ON participant(school_code);

CREATE TABLE registration (
    exam_id TEXT NOT NULL REFERENCES exam(exam_id) ON DELETE CASCADE,
    participant_id TEXT NOT NULL REFERENCES participant(participant_id) ON DELETE CASCADE,
    ppe_code TEXT NOT NULL REFERENCES exam_point(ppe_code) ON DELETE CASCADE,
    PRIMARY KEY (exam_id, participant_id)
) STRICT;
CREATE INDEX registration_ppe ON registration(ppe_code, exam_id);

CREATE TABLE worker (
    worker_id TEXT PRIMARY KEY,
    surname TEXT NOT NULL,
    name TEXT NOT NULL,
    record TEXT NOT NULL
) STRICT;

CREATE TABLE worker_assignment (
    worker_id TEXT NOT NULL REFERENCES worker(worker_id) ON DELETE CASCADE,
    ppe_code TEXT NOT NULL REFERENCES exam_point(ppe_code) ON DELETE CASCADE,
    date TEXT NOT NULL,
    reserve INTEGER NOT NULL,
    PRIMARY KEY (worker_id, ppe_code, date)
) STRICT;

CREATE TABLE plan_import (
    id INTEGER PRIMARY KEY,
    imported_at TEXT NOT NULL,
    source TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    counts TEXT NOT NULL
) STRICT;

-- Hash-chained, append-only: hash = sha256(prev_hash || canonical entry).
CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    object TEXT NOT NULL,
    details TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
) STRICT;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
