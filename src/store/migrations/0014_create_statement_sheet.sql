-- The sheet numbers machine-read statements took when last printed (one per page). Scanning
-- requires the `required` ones; a reprint with more or fewer pages replaces its holder's rows.
CREATE TABLE statement_sheet (
    exam_id TEXT NOT NULL,
    ppe_code TEXT NOT NULL,
    holder TEXT NOT NULL,
    form TEXT NOT NULL,
    number INTEGER NOT NULL,
    required INTEGER NOT NULL CHECK (required IN (0, 1)),
    printed_at TEXT NOT NULL,
    PRIMARY KEY (exam_id, ppe_code, number)
) STRICT;
CREATE INDEX statement_sheet_holder ON statement_sheet(exam_id, holder);
