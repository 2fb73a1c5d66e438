-- The worker roster per exam and the replacements of workers who did not come (ППЭ-19).
CREATE TABLE roster_entry (
    exam_id TEXT NOT NULL,
    ppe_code TEXT NOT NULL,
    worker_id TEXT NOT NULL,
    post TEXT NOT NULL,
    PRIMARY KEY (exam_id, ppe_code, worker_id)
) STRICT;

CREATE TABLE worker_replacement (
    id INTEGER PRIMARY KEY,
    exam_id TEXT NOT NULL,
    ppe_code TEXT NOT NULL,
    post TEXT NOT NULL,
    absent_worker_id TEXT NOT NULL,
    replacement_worker_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    at TEXT NOT NULL,
    decided_by TEXT NOT NULL
) STRICT;
