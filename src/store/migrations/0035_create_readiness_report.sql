-- Hub: the readiness reports boxes sent the day before an exam, as received, with the hub's
-- own judgement (the latest per exam and point is the one the dashboard shows).
CREATE TABLE readiness_report (
    id INTEGER PRIMARY KEY,
    exam_id TEXT NOT NULL,
    ppe_code TEXT NOT NULL,
    received_at TEXT NOT NULL,
    clock_offset_ms INTEGER NOT NULL,
    ready INTEGER NOT NULL CHECK (ready IN (0, 1)),
    failing_json TEXT NOT NULL,
    report_json TEXT NOT NULL
) STRICT;
CREATE INDEX readiness_report_by_point ON readiness_report (exam_id, ppe_code, id);
