-- Each seating run: its seed and the hash of its inputs, so РЦОИ can re-run it and compare.
CREATE TABLE seating_run (
    id INTEGER PRIMARY KEY,
    exam_id TEXT NOT NULL,
    ppe_code TEXT NOT NULL,
    seed INTEGER NOT NULL,
    input_hash TEXT NOT NULL,
    same_school_pairs INTEGER NOT NULL,
    same_school_lower_bound INTEGER NOT NULL,
    rooms_used TEXT NOT NULL,
    at TEXT NOT NULL,
    actor TEXT NOT NULL
) STRICT;
CREATE INDEX seating_run_exam ON seating_run(exam_id, ppe_code, id);
