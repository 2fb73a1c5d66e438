-- Seating: where each participant sits for each exam (the box's own decision, §19.1б).
CREATE TABLE seat_assignment (
    exam_id TEXT NOT NULL REFERENCES exam(exam_id) ON DELETE CASCADE,
    participant_id TEXT NOT NULL REFERENCES participant(participant_id) ON DELETE CASCADE,
    ppe_code TEXT NOT NULL,
    auditorium TEXT NOT NULL,
    row INTEGER NOT NULL,
    col INTEGER NOT NULL,
    manual INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (exam_id, participant_id),
    UNIQUE (exam_id, ppe_code, auditorium, row, col)
) STRICT;
CREATE INDEX seat_assignment_room ON seat_assignment(exam_id, ppe_code, auditorium);
