-- КЕГЭ (issue 18 item 2): a participant moved to a reserve workstation of their room when
-- theirs fails — who, from which to which, why, by whom. The latest move is their workstation.
CREATE TABLE workstation_move (
    move_id INTEGER PRIMARY KEY,
    exam_id TEXT NOT NULL,
    participant_id TEXT NOT NULL,
    auditorium TEXT NOT NULL,
    from_workstation INTEGER NOT NULL,
    to_workstation INTEGER NOT NULL,
    reason TEXT NOT NULL,
    moved_at TEXT NOT NULL,
    actor TEXT NOT NULL
) STRICT;
CREATE INDEX workstation_move_exam ON workstation_move (exam_id, participant_id);
