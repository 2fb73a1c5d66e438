-- Each roster assignment: the seed its organizers' order was drawn from and what it found,
-- so the roster is reproducible from plan + seed and its shortfalls stay visible.
CREATE TABLE roster_run (
    id INTEGER PRIMARY KEY,
    exam_id TEXT NOT NULL,
    ppe_code TEXT NOT NULL,
    seed INTEGER NOT NULL,
    posts INTEGER NOT NULL,
    reserve INTEGER NOT NULL,
    -- JSON array of the shortfalls as the report names them (Russian text).
    shortfalls TEXT NOT NULL,
    at TEXT NOT NULL,
    actor TEXT NOT NULL
) STRICT;
CREATE INDEX roster_run_exam ON roster_run(exam_id, ppe_code, id);
