-- Oral exams (issue 18): each participant's place in a conducting room's queue, the events of
-- the queue (start, end, absent, late, moved; the ведомость учёта проведения) and the ИС-9
-- expert's protocols.
CREATE TABLE oral_place (
    exam_id TEXT NOT NULL,
    ppe_code TEXT NOT NULL,
    participant_id TEXT NOT NULL,
    auditorium TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (exam_id, ppe_code, participant_id)
) STRICT;

CREATE TABLE oral_event (
    id INTEGER PRIMARY KEY,
    exam_id TEXT NOT NULL,
    ppe_code TEXT NOT NULL,
    participant_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    auditorium TEXT NOT NULL,
    at TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    actor TEXT NOT NULL
) STRICT;
CREATE INDEX oral_event_exam ON oral_event (exam_id, ppe_code);

CREATE TABLE oral_protocol (
    exam_id TEXT NOT NULL,
    ppe_code TEXT NOT NULL,
    participant_id TEXT NOT NULL,
    auditorium TEXT NOT NULL,
    expert_worker_id TEXT NOT NULL,
    expert_login TEXT NOT NULL,
    scale TEXT NOT NULL,
    score TEXT NOT NULL,
    scored_at TEXT NOT NULL,
    PRIMARY KEY (exam_id, ppe_code, participant_id)
) STRICT;
