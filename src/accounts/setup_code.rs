//! The first start's one-time setup code. Until the first account exists the box UI would let
//! whoever posts `/setup` first become the technical specialist; the code closes that: only
//! someone who holds the enrollment's `setup-code` file or reads the box's console (journal)
//! can make the first account. Pure: the code's shape, generation, normalization of what a
//! person types, and the comparison; `ops::claim_first_start` spends it in one transaction.

use ring::rand::SecureRandom;

/// Crockford's base32 alphabet: no I, L, O or U, so nothing reads as another character.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// 15 characters of 5 bits: 75 bits, shown as three groups of five.
const CODE_CHARS: usize = 15;

/// Wrong codes in a row before the first start is locked for [`SETUP_LOCK_MINUTES`]; a restart
/// of the service at the box (re-arming the code) lifts the lock.
pub const MAX_SETUP_ATTEMPTS: u32 = 5;
pub const SETUP_LOCK_MINUTES: i64 = 15;

/// A setup code as a person reads it (`ABCDE-FGHJK-MNPQR`).
#[derive(Clone, PartialEq, Eq)]
pub struct SetupCode(String);

impl std::fmt::Debug for SetupCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SetupCode(…)")
    }
}

/// Where the armed code came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeSource {
    /// The file `ppe hub enroll` wrote next to ppe.toml.
    File,
    /// Made by `edge serve` and printed to its log (the journal).
    Generated,
}

impl CodeSource {
    pub fn code(self) -> &'static str {
        match self {
            CodeSource::File => "file",
            CodeSource::Generated => "generated",
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("в файле кода первого запуска нет кода нужного вида (15 букв и цифр, например ABCDE-FGHJK-MNPQR)")]
pub struct MalformedCode;

impl SetupCode {
    /// A fresh code from the system's random generator.
    pub fn generate() -> Result<Self, ring::error::Unspecified> {
        let mut bytes = [0u8; CODE_CHARS];
        ring::rand::SystemRandom::new().fill(&mut bytes)?;
        Ok(Self(bytes.iter().map(|b| ALPHABET[usize::from(b & 31)] as char).collect()))
    }

    /// A code read from a file or typed by a person, in any case, with or without the dashes.
    pub fn parse(text: &str) -> Result<Self, MalformedCode> {
        let normal = normalize(text);
        if normal.len() == CODE_CHARS && normal.bytes().all(|b| ALPHABET.contains(&b)) {
            Ok(Self(normal))
        } else {
            Err(MalformedCode)
        }
    }

    /// As shown to a person and written to the file.
    pub fn display(&self) -> String {
        self.0.as_bytes().chunks(5).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join("-")
    }

    /// What the database keeps: the SHA-256 of the normalized code.
    pub fn sha256(&self) -> String {
        crate::util::sha256_hex(self.0.as_bytes())
    }
}

/// Upper case, no spaces or dashes, and the letters Crockford reads as digits (O→0, I/L→1).
fn normalize(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        })
        .collect()
}

/// Whether what a person typed is the armed code, compared without an early exit (the time
/// taken does not reveal how much of it matched).
pub fn matches(typed: &str, armed_sha256: &str) -> bool {
    let typed = crate::util::sha256_hex(normalize(typed).as_bytes());
    let (a, b) = (typed.as_bytes(), armed_sha256.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The code in a setup-code file, if the file exists.
pub fn read_code_file(path: &std::path::Path) -> anyhow::Result<Option<SetupCode>> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let line = text.lines().map(str::trim).find(|l| !l.is_empty() && !l.starts_with('#')).unwrap_or("");
            SetupCode::parse(line).map(Some).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(anyhow::anyhow!("read {}: {e}", path.display())),
    }
}

/// The text of a setup-code file (`ppe hub enroll` writes it 0600 next to ppe.toml).
pub fn code_file_text(code: &SetupCode) -> String {
    format!("# One-time code of this box's first start (the box UI asks for it before the first account).\n# Spent by the first account; keep it from anyone who should not become technical specialist.\n{}\n", code.display())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_reads_back_however_a_person_types_it_and_never_shows_in_debug() {
        let code = SetupCode::generate().unwrap();
        let shown = code.display();
        assert_eq!(shown.len(), 17);
        assert_eq!(shown.matches('-').count(), 2);
        assert_eq!(SetupCode::parse(&shown.to_lowercase()).unwrap(), code);
        assert_eq!(SetupCode::parse(&format!("  {} ", shown.replace('-', " "))).unwrap(), code);
        assert!(matches(&shown.to_lowercase(), &code.sha256()));
        assert!(!matches("", &code.sha256()));
        assert!(!matches(&shown[..16], &code.sha256()));
        assert_eq!(format!("{code:?}"), "SetupCode(…)");
        assert_ne!(SetupCode::generate().unwrap(), code, "75 random bits");
    }

    #[test]
    fn letters_that_read_as_digits_are_the_digits_and_other_shapes_are_refused() {
        let code = SetupCode::parse("00000-11111-22222").unwrap();
        assert!(matches("OOOOO-IIIII-22222", &code.sha256()));
        assert!(matches("ooooo-lllll-22222", &code.sha256()));
        for bad in ["", "ABCDE-FGHJK-MNPQ", "ABCDE-FGHJK-MNPQRS", "ABCDE-FGHJK-MNPQU", "ABCDE-FGHJK-MNPQ!"] {
            assert!(SetupCode::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_code_file_round_trips_and_a_missing_file_is_no_code() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("setup-code");
        assert!(read_code_file(&path).unwrap().is_none());
        let code = SetupCode::generate().unwrap();
        std::fs::write(&path, code_file_text(&code)).unwrap();
        assert_eq!(read_code_file(&path).unwrap(), Some(code));
        std::fs::write(&path, "garbage\n").unwrap();
        assert!(read_code_file(&path).is_err());
    }
}
