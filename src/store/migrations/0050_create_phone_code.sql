-- The key by phone (issue 20 item 5). On the box: the package key sealed for this box at
-- prestage (opened only with the code РЦОИ dictates), the wrong codes typed and the lock, and
-- each offline activation (it travels in the bundle). On the hub: the secrets of each seal
-- (the box's half and the code's) and every disclosure of a code (who told which member of
-- which point, when).
CREATE TABLE phone_seal (
    exam_id TEXT PRIMARY KEY,
    package_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    box_secret TEXT NOT NULL,
    sealed_key TEXT NOT NULL,
    iterations INTEGER NOT NULL,
    fetched_at TEXT NOT NULL,
    wrong_codes INTEGER NOT NULL DEFAULT 0,
    locked_at TEXT
);

CREATE TABLE phone_activation (
    id INTEGER PRIMARY KEY,
    exam_id TEXT NOT NULL,
    package_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    typed_by TEXT NOT NULL,
    worker_id TEXT,
    code_hub_time TEXT NOT NULL,
    box_time TEXT NOT NULL
);

CREATE TABLE hub_phone_seal (
    exam_id TEXT NOT NULL,
    ppe_code TEXT NOT NULL,
    package_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    box_secret TEXT NOT NULL,
    code_secret TEXT NOT NULL,
    iterations INTEGER NOT NULL,
    issued_at TEXT NOT NULL,
    PRIMARY KEY (exam_id, ppe_code, package_id)
);

CREATE TABLE hub_phone_disclosure (
    id INTEGER PRIMARY KEY,
    exam_id TEXT NOT NULL,
    ppe_code TEXT NOT NULL,
    package_id TEXT NOT NULL,
    gek_worker_id TEXT NOT NULL,
    operator_login TEXT NOT NULL,
    hub_time TEXT NOT NULL,
    minutes INTEGER NOT NULL
);
CREATE INDEX hub_phone_disclosure_point ON hub_phone_disclosure (exam_id, ppe_code);
