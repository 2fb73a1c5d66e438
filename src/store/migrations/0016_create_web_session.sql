-- Sessions of the box's web UI: only the SHA-256 of the cookie token is kept, so a copy of the
-- database does not log anyone in. Sessions survive a daemon restart (watchdog, power cut).
CREATE TABLE web_session (
    token_sha256 TEXT PRIMARY KEY,
    login TEXT NOT NULL REFERENCES account(login),
    role TEXT NOT NULL,
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX web_session_expires ON web_session(expires_at);
