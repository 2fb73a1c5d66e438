-- РЦОИ monitoring (issue 7): the boxes' heartbeats as the hub received them, operator notes
-- on an exam point's timeline, and the hub's own operator accounts with their sessions.

-- Hub: the latest heartbeat of each (exam, exam point), with the hub's arrival time, the
-- box's clock offset and when the box last made progress (for "stalled").
CREATE TABLE heartbeat_latest (
    exam_id TEXT NOT NULL,
    ppe_code TEXT NOT NULL,
    report_json TEXT NOT NULL,
    received_at TEXT NOT NULL,
    clock_offset_ms INTEGER NOT NULL,
    last_progress_at TEXT NOT NULL,
    stage_since TEXT NOT NULL,
    reports_received INTEGER NOT NULL,
    PRIMARY KEY (exam_id, ppe_code)
) STRICT;

-- Hub: a short history per (exam, exam point): the numbers that give the rate and the
-- timeline. Pruned to the newest rows per point by the writer.
CREATE TABLE heartbeat_history (
    id INTEGER PRIMARY KEY,
    exam_id TEXT NOT NULL,
    ppe_code TEXT NOT NULL,
    received_at TEXT NOT NULL,
    stage TEXT NOT NULL,
    bytes_done INTEGER NOT NULL,
    bytes_total INTEGER NOT NULL,
    files_done INTEGER NOT NULL,
    pages_scanned INTEGER NOT NULL,
    last_error TEXT
) STRICT;
CREATE INDEX heartbeat_history_point ON heartbeat_history(exam_id, ppe_code, id);

-- Hub: the timeline of an exam point: stage changes and new errors as the hub saw them
-- (a handful per point and exam; never pruned).
CREATE TABLE heartbeat_event (
    id INTEGER PRIMARY KEY,
    exam_id TEXT NOT NULL,
    ppe_code TEXT NOT NULL,
    at TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('stage', 'error', 'receipt')),
    detail TEXT NOT NULL
) STRICT;
CREATE INDEX heartbeat_event_point ON heartbeat_event(exam_id, ppe_code, id);

-- Hub: what an operator wrote about an exam point ("called them, uplink down, bringing USB").
CREATE TABLE monitoring_note (
    id INTEGER PRIMARY KEY,
    exam_id TEXT NOT NULL,
    ppe_code TEXT NOT NULL,
    at TEXT NOT NULL,
    operator_login TEXT NOT NULL,
    text TEXT NOT NULL
) STRICT;
CREATE INDEX monitoring_note_point ON monitoring_note(exam_id, ppe_code, id);

-- Hub: РЦОИ operator accounts (viewer, operator, admin); PBKDF2 hashes, lockout.
CREATE TABLE hub_operator (
    login TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
    password_hash TEXT NOT NULL,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT,
    created_at TEXT NOT NULL
) STRICT;

-- Hub: operator sessions; the cookie holds a random token, the table only its SHA-256.
CREATE TABLE hub_operator_session (
    token_sha256 TEXT PRIMARY KEY,
    login TEXT NOT NULL REFERENCES hub_operator(login) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
) STRICT;
