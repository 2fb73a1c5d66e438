-- Box: the files the daemon took from a recordings inbox (a station's export share, a
-- removable medium), by where they lay and how they looked then (issue 18 item 4). A file on a
-- read-only medium cannot be moved to `.taken/`: this record keeps it from being read and
-- taken twice; a writable inbox's file is moved and recorded too.
CREATE TABLE recording_source (
    source_path TEXT NOT NULL,
    size INTEGER NOT NULL,
    modified_ns INTEGER NOT NULL,
    exam_id TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    taken_at TEXT NOT NULL,
    PRIMARY KEY (source_path, size, modified_ns)
) STRICT;
