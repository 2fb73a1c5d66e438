//! The serial barcode reader in the staff room: sheet and envelope codes scanned there record
//! which materials were issued to and returned from each auditorium (issue 8, part 4).
//!
//! The reader sends one code per line. `reader` owns the port on its own thread, reconnects
//! by itself when the device is unplugged and plugged back (the port vanishes and reappears),
//! and hands codes over a channel; the desk (`spawn_desk`) records each scan for the current
//! desk selection (exam, auditorium, issue or return) in one transaction with an audit entry
//! and broadcasts the outcome so the UI shows it at once. Line splitting and the recording
//! rules are pure.

pub mod reader;
pub mod store;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::clock::Clock;
use crate::config::SerialConfig;
use crate::sheet_code::{self, SheetCodeError, SheetId};

/// Longest code accepted; anything longer is line noise (a reader at the wrong speed).
pub const MAX_CODE_LEN: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineEnding {
    Lf,
    Cr,
    CrLf,
}

impl LineEnding {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "" | "lf" => Some(Self::Lf),
            "cr" => Some(Self::Cr),
            "crlf" => Some(Self::CrLf),
            _ => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SerialError {
    #[error("serial.line_ending = {0:?}: допустимы \"lf\", \"cr\" или \"crlf\"")]
    BadLineEnding(String),
    #[error("serial.port пуст: сканер штрихкодов не настроен")]
    NoPort,
}

/// Port settings from `ppe.toml` `[serial]`, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReaderSettings {
    pub port: PathBuf,
    pub baud: u32,
    pub line_ending: LineEnding,
    /// How long a read waits before checking for stop and for the device being replaced.
    pub poll: Duration,
    /// Pause between attempts to open a missing port.
    pub reconnect_every: Duration,
}

/// Speed when `serial.baud` is 0 or absent: what most USB-CDC and RS-232 readers ship with.
pub const DEFAULT_BAUD: u32 = 9600;

impl ReaderSettings {
    pub fn from_config(cfg: &SerialConfig) -> Result<Self, SerialError> {
        if cfg.port.trim().is_empty() {
            return Err(SerialError::NoPort);
        }
        let line_ending = LineEnding::parse(cfg.line_ending.trim()).ok_or_else(|| SerialError::BadLineEnding(cfg.line_ending.clone()))?;
        Ok(Self {
            port: PathBuf::from(cfg.port.trim()),
            baud: if cfg.baud == 0 { DEFAULT_BAUD } else { cfg.baud },
            line_ending,
            poll: Duration::from_millis(200),
            reconnect_every: Duration::from_millis(250),
        })
    }
}

/// Splits the byte stream into codes. Tolerant of the other ending's stray byte (a reader set
/// to CRLF on a box set to LF), of blank lines, and of partial lines across reads.
#[derive(Debug)]
pub struct LineSplitter {
    ending: LineEnding,
    buffer: Vec<u8>,
    overlong: bool,
}

impl LineSplitter {
    pub fn new(ending: LineEnding) -> Self {
        Self { ending, buffer: Vec::new(), overlong: false }
    }

    /// Feeds bytes; returns the complete codes (trimmed, non-empty, valid UTF-8, not overlong).
    pub fn push(&mut self, bytes: &[u8]) -> Vec<String> {
        let terminator = match self.ending {
            LineEnding::Cr => b'\r',
            LineEnding::Lf | LineEnding::CrLf => b'\n',
        };
        let mut codes = Vec::new();
        for &b in bytes {
            if b == terminator {
                if !self.overlong {
                    if let Ok(text) = std::str::from_utf8(&self.buffer) {
                        let code = text.trim_matches(|c: char| c == '\r' || c == '\n' || c.is_whitespace());
                        if !code.is_empty() {
                            codes.push(code.to_string());
                        }
                    }
                }
                self.buffer.clear();
                self.overlong = false;
            } else if self.buffer.len() >= MAX_CODE_LEN {
                self.overlong = true;
            } else {
                self.buffer.push(b);
            }
        }
        codes
    }

    /// Drops a partial line (the device went away mid-code).
    pub fn reset(&mut self) {
        self.buffer.clear();
        self.overlong = false;
    }
}

/// What the reader thread reports.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ReaderEvent {
    Connected { port: String },
    Disconnected { port: String, reason: String },
    Code { code: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Materials handed to an auditorium.
    Issue,
    /// Materials brought back to the staff room.
    Return,
}

impl Direction {
    pub fn code(self) -> &'static str {
        match self {
            Self::Issue => "issue",
            Self::Return => "return",
        }
    }
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "issue" => Some(Self::Issue),
            "return" => Some(Self::Return),
            _ => None,
        }
    }
    pub fn title_ru(self) -> &'static str {
        match self {
            Self::Issue => "выдача",
            Self::Return => "возврат",
        }
    }
}

/// What the staff room desk is doing now, set from the UI: scans are recorded against it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DeskSelection {
    pub exam_id: String,
    pub auditorium: String,
    pub direction: Direction,
    /// The account at the desk (audit actor).
    pub actor: String,
}

/// One recorded issue or return.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Movement {
    pub exam_id: String,
    pub ppe_code: String,
    pub auditorium: String,
    pub direction: Direction,
    pub sheet: SheetId,
    pub code: String,
    pub at: String,
    pub actor: String,
}

#[derive(Debug, thiserror::Error)]
pub enum MovementError {
    #[error("код не распознан: {0}")]
    Code(#[from] SheetCodeError),
    #[error("не выбрана аудитория и операция (выдача или возврат)")]
    NoSelection,
    #[error("код другого экзамена ({found}), выбран экзамен {selected}")]
    OtherExam { found: String, selected: String },
    #[error("код другого ППЭ ({0})")]
    OtherExamPoint(String),
    #[error("уже отмечено: {direction} в аудиторию {auditorium}")]
    AlreadyRecorded { direction: &'static str, auditorium: String },
    #[error("возврат из аудитории {selected}, а выдано в аудиторию {issued_to}")]
    ReturnFromOtherAuditorium { selected: String, issued_to: String },
    #[error("возврат того, что не выдавалось")]
    NotIssued,
    #[error("ошибка базы данных: {0}")]
    Store(String),
}

/// The rules for one scan, given what is already recorded for the sheet. Pure.
pub fn check_scan(ppe_code: &str, desk: &DeskSelection, sheet: &SheetId, issued_to: Option<&str>, returned_from: Option<&str>) -> Result<(), MovementError> {
    if sheet.exam_id != desk.exam_id {
        return Err(MovementError::OtherExam { found: sheet.exam_id.clone(), selected: desk.exam_id.clone() });
    }
    if sheet.ppe_code != ppe_code {
        return Err(MovementError::OtherExamPoint(sheet.ppe_code.clone()));
    }
    match desk.direction {
        Direction::Issue => match issued_to {
            Some(room) => Err(MovementError::AlreadyRecorded { direction: Direction::Issue.title_ru(), auditorium: room.to_string() }),
            None => Ok(()),
        },
        Direction::Return => match (issued_to, returned_from) {
            (_, Some(room)) => Err(MovementError::AlreadyRecorded { direction: Direction::Return.title_ru(), auditorium: room.to_string() }),
            (None, None) => Err(MovementError::NotIssued),
            (Some(room), None) if room != desk.auditorium => {
                Err(MovementError::ReturnFromOtherAuditorium { selected: desk.auditorium.clone(), issued_to: room.to_string() })
            }
            (Some(_), None) => Ok(()),
        },
    }
}

/// Decodes a scanned code and records it for the desk selection: one transaction with its
/// audit entry.
pub fn record_scan(conn: &mut crate::store::Connection, clock: &Clock, ppe_code: &str, key: &ring::hmac::Key, desk: &DeskSelection, code: &str) -> Result<Movement, MovementError> {
    let sheet = sheet_code::decode(code, key)?;
    let store_err = |e: &dyn std::fmt::Display| MovementError::Store(e.to_string());
    let tx = conn.transaction().map_err(|e| store_err(&e))?;
    let issued_to = store::movement_auditorium(&tx, &sheet, Direction::Issue).map_err(|e| store_err(&e))?;
    let returned_from = store::movement_auditorium(&tx, &sheet, Direction::Return).map_err(|e| store_err(&e))?;
    check_scan(ppe_code, desk, &sheet, issued_to.as_deref(), returned_from.as_deref())?;
    let movement = Movement {
        exam_id: sheet.exam_id.clone(),
        ppe_code: sheet.ppe_code.clone(),
        auditorium: desk.auditorium.clone(),
        direction: desk.direction,
        code: code.to_string(),
        sheet,
        at: clock.now_rfc3339(),
        actor: desk.actor.clone(),
    };
    store::insert_movement(&tx, &movement).map_err(|e| store_err(&e))?;
    let details = serde_json::json!({
        "auditorium": movement.auditorium,
        "sheet_kind": movement.sheet.kind.code(),
        "sheet_number": movement.sheet.number,
    });
    let action = match movement.direction {
        Direction::Issue => "materials.issued_to_auditorium",
        Direction::Return => "materials.returned_from_auditorium",
    };
    crate::audit::store::append(&tx, &movement.at, crate::audit::NewEntry { actor: &movement.actor, action, object: &movement.exam_id, details }).map_err(|e| store_err(&e))?;
    tx.commit().map_err(|e| store_err(&e))?;
    Ok(movement)
}

/// What the desk tells the UI (broadcast: every open page sees every scan at once).
#[derive(Debug, Clone, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DeskEvent {
    Reader(ReaderEvent),
    Recorded(Movement),
    Refused { code: String, reason: String },
}

/// Everything the desk needs to record scans.
pub struct Desk {
    pub db_path: PathBuf,
    pub ppe_code: String,
    pub sheet_key: ring::hmac::Key,
    pub clock: Clock,
    /// Set by the UI; `None` until someone chooses an auditorium and an operation.
    pub selection: Arc<Mutex<Option<DeskSelection>>>,
}

/// Records every code from the reader on its own thread (SQLite is synchronous) until the
/// reader's channel closes; publishes each outcome on `ui`.
pub fn spawn_desk(desk: Desk, mut from_reader: tokio::sync::mpsc::UnboundedReceiver<ReaderEvent>, ui: tokio::sync::broadcast::Sender<DeskEvent>) -> std::thread::JoinHandle<()> {
    std::thread::Builder::new()
        .name("serial-desk".into())
        .spawn(move || {
            let mut conn = match crate::store::open(&desk.db_path) {
                Ok(conn) => conn,
                Err(err) => {
                    tracing::error!(error = %err, "barcode desk cannot open the database; scans are not recorded");
                    return;
                }
            };
            while let Some(event) = from_reader.blocking_recv() {
                let out = match event {
                    ReaderEvent::Code { code } => {
                        let selection = desk.selection.lock().map(|s| s.clone()).unwrap_or(None);
                        let result = match selection {
                            Some(sel) => record_scan(&mut conn, &desk.clock, &desk.ppe_code, &desk.sheet_key, &sel, &code),
                            None => Err(MovementError::NoSelection),
                        };
                        match result {
                            Ok(movement) => DeskEvent::Recorded(movement),
                            Err(err) => {
                                tracing::info!(reason = %err, "scan refused");
                                DeskEvent::Refused { code, reason: err.to_string() }
                            }
                        }
                    }
                    other => DeskEvent::Reader(other),
                };
                // No subscriber (no page open) is fine: the scan is recorded already.
                let _ = ui.send(out);
            }
        })
        .unwrap_or_else(|err| {
            tracing::error!(error = %err, "cannot start the barcode desk thread");
            std::thread::spawn(|| {})
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sheet_code::SheetKind;

    #[test]
    fn splitter_handles_endings_partials_noise_and_blank_lines() {
        let mut lf = LineSplitter::new(LineEnding::Lf);
        assert_eq!(lf.push(b"AB"), Vec::<String>::new());
        assert_eq!(lf.push(b"C\r\n\nDEF\n"), vec!["ABC", "DEF"]);
        let mut cr = LineSplitter::new(LineEnding::Cr);
        assert_eq!(cr.push(b"X1\rX2\r\n"), vec!["X1", "X2"]);
        assert_eq!(cr.push(b"X3\r"), vec!["X3"]);
        let mut noisy = LineSplitter::new(LineEnding::CrLf);
        let mut long = vec![b'9'; MAX_CODE_LEN + 10];
        long.extend_from_slice(b"\r\nOK\r\n");
        assert_eq!(noisy.push(&long), vec!["OK"]);
        assert_eq!(noisy.push(&[0xff, 0xfe, b'\n', b'Z', b'\n']), vec!["Z"]);
    }

    #[test]
    fn settings_default_speed_and_refuse_unknown_line_ending() {
        let cfg = SerialConfig { port: "/dev/ppe-barcode".into(), baud: 0, line_ending: String::new() };
        let s = ReaderSettings::from_config(&cfg).unwrap();
        assert_eq!((s.baud, s.line_ending), (DEFAULT_BAUD, LineEnding::Lf));
        let bad = SerialConfig { line_ending: "lfcr".into(), ..cfg };
        assert!(matches!(ReaderSettings::from_config(&bad), Err(SerialError::BadLineEnding(_))));
        assert!(matches!(ReaderSettings::from_config(&SerialConfig::default()), Err(SerialError::NoPort)));
    }

    #[test]
    fn scan_rules_table() {
        let sheet = SheetId { exam_id: "ege-02".into(), ppe_code: "0101".into(), kind: SheetKind::Registration, number: 5 };
        let desk = |direction| DeskSelection { exam_id: "ege-02".into(), auditorium: "0003".into(), direction, actor: "tech".into() };
        use Direction::*;
        assert!(check_scan("0101", &desk(Issue), &sheet, None, None).is_ok());
        assert!(matches!(check_scan("0101", &desk(Issue), &sheet, Some("0003"), None), Err(MovementError::AlreadyRecorded { .. })));
        assert!(matches!(check_scan("0101", &desk(Return), &sheet, None, None), Err(MovementError::NotIssued)));
        assert!(check_scan("0101", &desk(Return), &sheet, Some("0003"), None).is_ok());
        assert!(matches!(check_scan("0101", &desk(Return), &sheet, Some("0004"), None), Err(MovementError::ReturnFromOtherAuditorium { .. })));
        assert!(matches!(check_scan("0101", &desk(Return), &sheet, Some("0003"), Some("0003")), Err(MovementError::AlreadyRecorded { .. })));
        assert!(matches!(check_scan("0202", &desk(Issue), &sheet, None, None), Err(MovementError::OtherExamPoint(_))));
        let other = SheetId { exam_id: "oge-01".into(), ..sheet.clone() };
        assert!(matches!(check_scan("0101", &desk(Issue), &other, None, None), Err(MovementError::OtherExam { .. })));
    }

    #[test]
    fn recorded_scan_has_its_audit_entry_and_a_double_scan_is_refused() {
        let mut conn = crate::store::open_in_memory().unwrap();
        let key = sheet_code::sheet_key(b"box secret");
        let sheet = SheetId { exam_id: "ege-02".into(), ppe_code: "0101".into(), kind: SheetKind::Answers1, number: 42 };
        let code = sheet_code::encode(&sheet, &key);
        let desk = DeskSelection { exam_id: "ege-02".into(), auditorium: "0003".into(), direction: Direction::Issue, actor: "tech".into() };
        let clock = Clock::real();
        let m = record_scan(&mut conn, &clock, "0101", &key, &desk, &code).unwrap();
        assert_eq!(m.sheet, sheet);
        assert!(matches!(record_scan(&mut conn, &clock, "0101", &key, &desk, &code), Err(MovementError::AlreadyRecorded { .. })));
        assert!(matches!(record_scan(&mut conn, &clock, "0101", &key, &desk, "PPE1.junk"), Err(MovementError::Code(_))));
        let rows = store::movements_for_exam(&conn, "ege-02").unwrap();
        assert_eq!(rows.len(), 1);
        let audit = crate::audit::store::all(&conn).unwrap();
        assert_eq!(audit.iter().filter(|e| e.action == "materials.issued_to_auditorium").count(), 1);
    }
}
