-- The box's first start (issue 15, hole 5): the one-time code `/setup` asks for before the
-- first account is made. Only its SHA-256 is kept; the row is deleted in the transaction that
-- inserts the first account, so a code opens the first start once.
CREATE TABLE ui_setup_code (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    code_sha256 TEXT NOT NULL,
    -- 'file' (written by `ppe hub enroll`) or 'generated' (printed by `edge serve` to its log)
    source TEXT NOT NULL,
    armed_at TEXT NOT NULL,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT
);
