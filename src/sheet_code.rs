//! The machine-readable code on every printed sheet, shared by printing (which draws it) and
//! scanning (which reads it and matches the page to a participant).
//!
//! Text form: `PPE1.<exam_id>.<ppe_code>.<kind>.<number>.<check>.<mac>`, where `number` is a
//! 7-digit sheet number unique within (exam, exam point), `check` its Luhn digit (catches a
//! misread by a person typing it in), and `mac` the first 8 bytes (16 hex) of
//! HMAC-SHA256(box sheet key, everything before it), so a page cannot be forged or swapped in
//! from another set. A kit's sheets also carry the participant's КИМ variant, so РЦОИ can mark
//! the work (DOMAIN.md §6): `PPE1.<exam_id>.<ppe_code>.<kind>.<number>.<check>.V<variant>.<mac>`,
//! the variant under the same MAC. Codes without it (statements, kits printed before the
//! package came) keep the 7-field form and decode as before. Pure; no I/O.

use ring::hmac;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum SheetKind {
    /// бланк регистрации
    Registration,
    /// бланк ответов № 1
    Answers1,
    /// бланк ответов № 2 (each page its own sheet number)
    Answers2,
    /// дополнительный бланк ответов № 2
    Additional,
    /// a machine-read statement (ППЭ-…-МАШ)
    Statement,
}

impl SheetKind {
    pub const ALL: [SheetKind; 5] = [Self::Registration, Self::Answers1, Self::Answers2, Self::Additional, Self::Statement];
    pub fn code(self) -> &'static str {
        match self {
            Self::Registration => "R",
            Self::Answers1 => "A1",
            Self::Answers2 => "A2",
            Self::Additional => "D",
            Self::Statement => "S",
        }
    }
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }
    pub fn title_ru(self) -> &'static str {
        match self {
            Self::Registration => "бланк регистрации",
            Self::Answers1 => "бланк ответов № 1",
            Self::Answers2 => "бланк ответов № 2",
            Self::Additional => "дополнительный бланк ответов № 2",
            Self::Statement => "машиночитаемая форма",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct SheetId {
    pub exam_id: String,
    pub ppe_code: String,
    pub kind: SheetKind,
    pub number: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SheetCodeError {
    #[error("это не код листа ППЭ")]
    Foreign,
    #[error("код листа искажён: {0}")]
    Malformed(&'static str),
    #[error("контрольная цифра номера листа неверна (ошибка чтения)")]
    CheckDigit,
    #[error("имитовставка кода листа не сходится: подделка или лист другого ППЭ")]
    BadMac,
}

const PREFIX: &str = "PPE1";
pub const MAX_NUMBER: u32 = 9_999_999;

/// Whether a decoded text has the shape of our sheet codes (not whether it verifies).
pub fn looks_like_sheet_code(text: &str) -> bool {
    text.strip_prefix(PREFIX).is_some_and(|rest| rest.starts_with('.'))
}

/// The key that MACs sheet codes, derived from the box's secret so no extra secret is stored.
pub fn sheet_key(box_secret: &[u8]) -> hmac::Key {
    let derived = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, b"ppe sheet code key v1"), box_secret);
    hmac::Key::new(hmac::HMAC_SHA256, derived.as_ref())
}

pub fn luhn_digit(number: u32) -> u8 {
    let digits: Vec<u32> = format!("{number:07}").bytes().map(|b| u32::from(b - b'0')).collect();
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

fn body(id: &SheetId) -> String {
    format!("{PREFIX}.{}.{}.{}.{:07}.{}", id.exam_id, id.ppe_code, id.kind.code(), id.number, luhn_digit(id.number))
}

/// Encodes a sheet id as the text put into the barcode. Fields must not contain `.`
/// (exam ids and exam point codes are ФЛК codes; `.` is refused there for this reason too).
pub fn encode(id: &SheetId, key: &hmac::Key) -> String {
    let b = body(id);
    let tag = hmac::sign(key, b.as_bytes());
    format!("{b}.{}", hex::encode(&tag.as_ref()[..8]))
}

/// Encodes a kit sheet with the participant's КИМ variant (`None`: the 7-field code of
/// [`encode`]).
pub fn encode_with_variant(id: &SheetId, variant: Option<u16>, key: &hmac::Key) -> String {
    let Some(v) = variant else { return encode(id, key) };
    let b = format!("{}.V{v}", body(id));
    let tag = hmac::sign(key, b.as_bytes());
    format!("{b}.{}", hex::encode(&tag.as_ref()[..8]))
}

/// Decodes and verifies a code read from a page.
pub fn decode(text: &str, key: &hmac::Key) -> Result<SheetId, SheetCodeError> {
    decode_with_variant(text, key).map(|(id, _)| id)
}

/// Decodes and verifies a code, with the КИМ variant a kit sheet carries.
pub fn decode_with_variant(text: &str, key: &hmac::Key) -> Result<(SheetId, Option<u16>), SheetCodeError> {
    let text = text.trim();
    if !text.starts_with("PPE1.") {
        return Err(SheetCodeError::Foreign);
    }
    let mut parts: Vec<&str> = text.split('.').collect();
    let variant = match parts.len() {
        7 => None,
        8 => {
            let field = parts.remove(6);
            // Digits as printed: no leading zero (`V007` would pass with the MAC of `V7`).
            let digits =
                field.strip_prefix('V').filter(|d| (1..=3).contains(&d.len()) && !d.starts_with('0') && d.bytes().all(|b| b.is_ascii_digit()));
            Some(digits.and_then(|d| d.parse::<u16>().ok()).ok_or(SheetCodeError::Malformed("variant is not V and 1 to 3 digits"))?)
        }
        _ => return Err(SheetCodeError::Malformed("expected 7 or 8 fields")),
    };
    let kind = SheetKind::parse(parts[3]).ok_or(SheetCodeError::Malformed("unknown sheet kind"))?;
    if parts[4].len() != 7 || !parts[4].bytes().all(|b| b.is_ascii_digit()) {
        return Err(SheetCodeError::Malformed("sheet number is not 7 digits"));
    }
    let number: u32 = parts[4].parse().map_err(|_| SheetCodeError::Malformed("sheet number"))?;
    // One digit as printed (`+5` and `05` parsed as 5: a second spelling of the same sheet).
    let check: u8 = Some(parts[5]).filter(|c| c.len() == 1).and_then(|c| c.parse().ok()).ok_or(SheetCodeError::Malformed("check digit"))?;
    if check != luhn_digit(number) {
        return Err(SheetCodeError::CheckDigit);
    }
    let mac = hex::decode(parts[6]).map_err(|_| SheetCodeError::Malformed("mac is not hex"))?;
    let id = SheetId { exam_id: parts[1].to_string(), ppe_code: parts[2].to_string(), kind, number };
    let b = match variant {
        Some(v) => format!("{}.V{v}", body(&id)),
        None => body(&id),
    };
    let tag = hmac::sign(key, b.as_bytes());
    if mac.len() != 8 || !constant_time_eq(&tag.as_ref()[..8], &mac) {
        return Err(SheetCodeError::BadMac);
    }
    Ok((id, variant))
}

/// Compares without an early exit, so the time taken says nothing about where they differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn id(n: u32) -> SheetId {
        SheetId { exam_id: "ege-02".into(), ppe_code: "0101".into(), kind: SheetKind::Answers1, number: n }
    }

    /// Found writing the sheet_code fuzz target: a check digit written `+5` or `05`, or a
    /// variant `V007`, verified as the sheet printed `5` / `V7` (the MAC covers the parsed
    /// values), so one sheet had several accepted spellings.
    #[test]
    fn only_the_printed_spelling_of_a_code_verifies() {
        let key = sheet_key(b"box secret");
        let code = encode_with_variant(&id(42), Some(7), &key);
        assert_eq!(decode_with_variant(&code, &key).unwrap(), (id(42), Some(7)));
        let digit = code.split('.').nth(5).unwrap().to_string();
        for other in [
            code.replace(&format!(".{digit}.V7."), &format!(".+{digit}.V7.")),
            code.replace(&format!(".{digit}.V7."), &format!(".0{digit}.V7.")),
            code.replace(".V7.", ".V007."),
        ] {
            assert!(matches!(decode_with_variant(&other, &key), Err(SheetCodeError::Malformed(_))), "{other}");
        }
    }

    #[test]
    fn round_trip_and_tampering() {
        let key = sheet_key(b"box secret");
        let code = encode(&id(42), &key);
        assert_eq!(decode(&code, &key).unwrap(), id(42));
        assert_eq!(decode(&code, &sheet_key(b"other box")), Err(SheetCodeError::BadMac));
        let swapped = code.replace(".0000042.", ".0000043.");
        assert!(matches!(decode(&swapped, &key), Err(SheetCodeError::CheckDigit | SheetCodeError::BadMac)));
        assert_eq!(decode("hello", &key), Err(SheetCodeError::Foreign));
        assert!(matches!(decode("PPE1.a.b", &key), Err(SheetCodeError::Malformed(_))));
    }

    #[test]
    fn a_kit_code_carries_its_variant_under_the_mac() {
        let key = sheet_key(b"box secret");
        let code = encode_with_variant(&id(42), Some(2), &key);
        assert!(code.contains(".V2."), "{code}");
        assert_eq!(decode_with_variant(&code, &key).unwrap(), (id(42), Some(2)));
        // Everything that reads only the sheet (scanning, the desk) reads it as before.
        assert_eq!(decode(&code, &key).unwrap(), id(42));
        // The variant cannot be changed on the page: the MAC covers it.
        assert_eq!(decode(&code.replace(".V2.", ".V1."), &key), Err(SheetCodeError::BadMac));
        // Without a variant the code is the 7-field one.
        assert_eq!(encode_with_variant(&id(42), None, &key), encode(&id(42), &key));
        assert_eq!(decode_with_variant(&encode(&id(42), &key), &key).unwrap(), (id(42), None));
        assert!(matches!(decode(&code.replace(".V2.", ".X2."), &key), Err(SheetCodeError::Malformed(_))));
        assert!(matches!(decode(&code.replace(".V2.", ".V2222."), &key), Err(SheetCodeError::Malformed(_))));
    }

    proptest! {
        #[test]
        fn any_kit_sheet_with_a_variant_round_trips(n in 0u32..=MAX_NUMBER, v in 1u16..=999) {
            let key = sheet_key(b"k");
            prop_assert_eq!(decode_with_variant(&encode_with_variant(&id(n), Some(v), &key), &key).unwrap(), (id(n), Some(v)));
        }

        #[test]
        fn any_sheet_round_trips(n in 0u32..=MAX_NUMBER, k in 0usize..5, exam in "[a-z0-9-]{1,12}", ppe in "[0-9]{4}") {
            let key = sheet_key(b"k");
            let id = SheetId { exam_id: exam, ppe_code: ppe, kind: SheetKind::ALL[k], number: n };
            prop_assert_eq!(decode(&encode(&id, &key), &key).unwrap(), id);
        }

        #[test]
        fn decode_never_panics(s in "\\PC*") {
            let _ = decode(&s, &sheet_key(b"k"));
        }
    }
}
