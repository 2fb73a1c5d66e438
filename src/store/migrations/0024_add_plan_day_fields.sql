-- The exam-day rules (issue #16): kit and КИМ printing per exam, type and own time zone per
-- exam point, public observers (order 805 §17) and their points and dates.
ALTER TABLE exam ADD COLUMN kit TEXT NOT NULL DEFAULT '';
ALTER TABLE exam ADD COLUMN kim_print TEXT NOT NULL DEFAULT 'in_room';
ALTER TABLE exam_point ADD COLUMN point_type TEXT NOT NULL DEFAULT 'ordinary';
ALTER TABLE exam_point ADD COLUMN utc_offset_min INTEGER;

CREATE TABLE observer (
    observer_id TEXT PRIMARY KEY,
    surname TEXT NOT NULL,
    name TEXT NOT NULL,
    record TEXT NOT NULL
) STRICT;

CREATE TABLE observer_assignment (
    observer_id TEXT NOT NULL REFERENCES observer(observer_id) ON DELETE CASCADE,
    ppe_code TEXT NOT NULL,
    date TEXT NOT NULL,
    PRIMARY KEY (observer_id, ppe_code, date)
) STRICT;
