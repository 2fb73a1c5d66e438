-- The КИМ variant of each seated participant (issue #16 item 1, DOMAIN.md §6): the seat it was
-- given for, the seating seed it was drawn from, and when that participant's КИМ was printed
-- (a printed copy is never printed again and keeps its variant).
CREATE TABLE variant_assignment (
    exam_id TEXT NOT NULL REFERENCES exam(exam_id) ON DELETE CASCADE,
    participant_id TEXT NOT NULL REFERENCES participant(participant_id) ON DELETE CASCADE,
    ppe_code TEXT NOT NULL,
    auditorium TEXT NOT NULL,
    row INTEGER NOT NULL,
    col INTEGER NOT NULL,
    variant INTEGER NOT NULL CHECK (variant BETWEEN 1 AND 999),
    seed INTEGER NOT NULL,
    at TEXT NOT NULL,
    kim_printed_at TEXT,
    PRIMARY KEY (exam_id, participant_id)
) STRICT;
CREATE INDEX variant_assignment_room ON variant_assignment(exam_id, ppe_code, auditorium);
