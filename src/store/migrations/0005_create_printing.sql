-- Printing: print jobs (CUPS state and human confirmation) and the sheet numbers of kits.
CREATE TABLE print_job (
    print_job_id INTEGER PRIMARY KEY,
    exam_id TEXT NOT NULL,
    document TEXT NOT NULL,
    form TEXT NOT NULL,
    auditorium TEXT,
    pages INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    printer TEXT NOT NULL,
    cups_job_id INTEGER,
    state TEXT NOT NULL,
    impressions INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    reprint_of INTEGER REFERENCES print_job (print_job_id),
    confirmed_by TEXT,
    confirmed_at TEXT
);
CREATE INDEX print_job_by_exam ON print_job (exam_id);

CREATE TABLE sheet_counter (
    exam_id TEXT NOT NULL,
    ppe_code TEXT NOT NULL,
    next_number INTEGER NOT NULL,
    PRIMARY KEY (exam_id, ppe_code)
);

-- A kit keeps its numbers: a reprint of a kit carries the same codes.
CREATE TABLE kit_sheet (
    exam_id TEXT NOT NULL,
    participant_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    kind TEXT NOT NULL,
    number INTEGER NOT NULL,
    PRIMARY KEY (exam_id, participant_id, position),
    UNIQUE (exam_id, kind, number)
);
