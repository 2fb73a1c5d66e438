-- The box's measured link to the hub (issue 22): bytes the streaming upload sent and the wall
-- time it spent sending them, per exam, with the last round trip. The daemon writes it; the
-- ETA of `edge status` and the UI (other processes) and the next pass's tuning read it.
CREATE TABLE upload_link (
    exam_id TEXT PRIMARY KEY,
    bytes_sent INTEGER NOT NULL,
    sending_ms INTEGER NOT NULL,
    rtt_ms INTEGER NOT NULL,
    measured_at TEXT NOT NULL
);
