-- Distribution by РЦОИ's seed (order 805 §19; DOMAIN.md §3).
-- Hub: the seeds it drew, one per (exam, exam point, purpose); never redrawn.
CREATE TABLE distribution_seed (
    exam_id TEXT NOT NULL,
    ppe_code TEXT NOT NULL,
    purpose TEXT NOT NULL CHECK (purpose IN ('seating', 'organizers')),
    seed TEXT NOT NULL,
    drawn_at TEXT NOT NULL,
    PRIMARY KEY (exam_id, ppe_code, purpose)
) STRICT;

-- Box: the seeds received from the hub, with the hub's signature over them.
CREATE TABLE released_seed (
    exam_id TEXT NOT NULL,
    ppe_code TEXT NOT NULL,
    purpose TEXT NOT NULL CHECK (purpose IN ('seating', 'organizers')),
    seed TEXT NOT NULL,
    release_at TEXT NOT NULL,
    signature TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (exam_id, ppe_code, purpose)
) STRICT;

-- Hub: the seatings boxes reported (the latest per exam and point is the one verified).
CREATE TABLE seating_report (
    id INTEGER PRIMARY KEY,
    exam_id TEXT NOT NULL,
    ppe_code TEXT NOT NULL,
    seed TEXT NOT NULL,
    input_hash TEXT NOT NULL,
    report_json TEXT NOT NULL,
    received_at TEXT NOT NULL
) STRICT;
CREATE INDEX seating_report_by_point ON seating_report (exam_id, ppe_code, id);
