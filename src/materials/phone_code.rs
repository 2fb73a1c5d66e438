//! The key by phone (issue 20 item 5): when the window opens and the box cannot reach the hub,
//! a РЦОИ operator dictates a short code to the ГЭК member, and the code opens the package key
//! the box pre-staged *sealed for itself*. Pure: the code's format (6 groups of 5 digits, each
//! group 4 data digits and a Damm check digit, so a mistyped group is named), what it carries
//! (a tag of the exam and point, the hub's time in minutes since the window opened, a 12-digit
//! secret, a 6-digit MAC), the seal (AES-256-GCM under PBKDF2-HMAC-SHA256 of the code's secret
//! salted with the box's own 32-byte secret), and the judgement of a typed code. ring only.
//! The design and its threat model: `docs/reliability.md` § Ключ по телефону.

pub mod bundle;
pub mod cli;
pub mod ops;
pub mod pages;
pub mod store;

use chrono::{DateTime, Utc};
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use ring::{hkdf, hmac, pbkdf2};

/// Groups of a code, digits per group (data + the check digit), data digits per group.
pub const GROUPS: usize = 6;
pub const GROUP_LEN: usize = 5;
const DATA_PER_GROUP: usize = GROUP_LEN - 1;
const TAG_DIGITS: usize = 2;
const MINUTE_DIGITS: usize = 4;
const SECRET_DIGITS: usize = 12;
const MAC_DIGITS: usize = 6;
const _: () = assert!(TAG_DIGITS + MINUTE_DIGITS + SECRET_DIGITS + MAC_DIGITS == GROUPS * DATA_PER_GROUP);

/// Well-formed codes that open nothing before the page locks (each one audited).
pub const MAX_WRONG_CODES: u32 = 5;
/// PBKDF2 iterations of a new seal (≈ 0.1 s on the box; what a thief of the disk pays per
/// guess of the 12-digit secret), and the most a box accepts from a hub.
pub const SEAL_ITERATIONS: u32 = 300_000;
pub const MAX_ITERATIONS: u32 = 5_000_000;
/// The largest minute a code can carry (≈ 6.9 days after the window opened).
pub const MAX_MINUTES: i64 = 9_999;

/// The Damm quasigroup of order 10 (weakly totally anti-symmetric, zero diagonal): one check
/// digit catches every single-digit error and every swap of adjacent digits.
const DAMM: [[u8; 10]; 10] = [
    [0, 3, 1, 7, 5, 9, 8, 6, 4, 2],
    [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
    [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
    [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
    [6, 1, 2, 3, 0, 4, 5, 9, 7, 8],
    [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
    [5, 8, 6, 9, 7, 2, 0, 1, 3, 4],
    [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
    [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
    [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
];

/// Damm's interim digit over `digits`, starting from the group's index (so a group typed in
/// another group's place is caught too, mostly); a group is valid when it ends at 0.
fn damm(start: usize, digits: &[u8]) -> u8 {
    digits.iter().fold((start % 10) as u8, |state, &d| DAMM[state as usize][d as usize])
}

/// The check digit of group `index` (0-based) over its data digits.
pub fn check_digit(index: usize, data: &[u8]) -> u8 {
    damm(index, data)
}

/// Whether group `index` (data digits then the check digit) is as РЦОИ printed it.
pub fn group_is_valid(index: usize, group: &[u8]) -> bool {
    damm(index, group) == 0
}

/// What a code carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhoneCode {
    /// [`tag_of`] the exam and the exam point (0..100).
    pub tag: u8,
    /// The hub's time when it disclosed the code, minutes since the window opened.
    pub minutes: u16,
    /// The code's secret half of the seal (below 10¹²).
    pub secret: u64,
    /// [`code_mac`] of all of the above (below 10⁶).
    pub mac: u32,
}

fn push_digits(out: &mut Vec<u8>, value: u64, n: usize) {
    let text = format!("{value:0n$}");
    out.extend(text.bytes().rev().take(n).collect::<Vec<_>>().into_iter().rev().map(|b| b - b'0'));
}

fn read_digits(digits: &[u8]) -> u64 {
    digits.iter().fold(0u64, |v, &d| v * 10 + u64::from(d))
}

impl PhoneCode {
    fn data_digits(&self) -> Vec<u8> {
        let mut d = Vec::with_capacity(GROUPS * DATA_PER_GROUP);
        push_digits(&mut d, u64::from(self.tag), TAG_DIGITS);
        push_digits(&mut d, u64::from(self.minutes), MINUTE_DIGITS);
        push_digits(&mut d, self.secret, SECRET_DIGITS);
        push_digits(&mut d, u64::from(self.mac), MAC_DIGITS);
        d
    }

    /// The 30 digits as dictated: six groups of five, separated by spaces.
    pub fn format(&self) -> String {
        self.data_digits()
            .chunks(DATA_PER_GROUP)
            .enumerate()
            .map(|(i, data)| {
                let mut g: String = data.iter().map(|d| char::from(b'0' + d)).collect();
                g.push(char::from(b'0' + check_digit(i, data)));
                g
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Reads a typed code: spaces and dashes anywhere are ignored, exactly 30 digits; every
    /// group is checked by its check digit and every wrong group is named.
    pub fn parse(text: &str) -> Result<PhoneCode, PhoneRefusal> {
        if text.chars().any(|c| !(c.is_ascii_digit() || c.is_whitespace() || c == '-')) {
            return Err(PhoneRefusal::NotDigits);
        }
        let digits: Vec<u8> = text.bytes().filter(u8::is_ascii_digit).map(|b| b - b'0').collect();
        if digits.len() != GROUPS * GROUP_LEN {
            return Err(PhoneRefusal::WrongLength { digits: digits.len() });
        }
        let bad: Vec<usize> = digits.chunks(GROUP_LEN).enumerate().filter(|(i, g)| !group_is_valid(*i, g)).map(|(i, _)| i + 1).collect();
        if !bad.is_empty() {
            return Err(PhoneRefusal::BadGroups(bad));
        }
        let data: Vec<u8> = digits.chunks(GROUP_LEN).flat_map(|g| g[..DATA_PER_GROUP].to_vec()).collect();
        let (tag, rest) = data.split_at(TAG_DIGITS);
        let (minutes, rest) = rest.split_at(MINUTE_DIGITS);
        let (secret, mac) = rest.split_at(SECRET_DIGITS);
        Ok(PhoneCode { tag: read_digits(tag) as u8, minutes: read_digits(minutes) as u16, secret: read_digits(secret), mac: read_digits(mac) as u32 })
    }
}

/// What a seal and a code are bound to: the exam, the exam point and the package.
#[derive(Debug, Clone, Copy)]
pub struct SealBinding<'a> {
    pub exam_id: &'a str,
    pub ppe_code: &'a str,
    pub package_id: &'a str,
}

impl SealBinding<'_> {
    fn bytes(&self, purpose: &str) -> Vec<u8> {
        super::canonical_json(&serde_json::json!([purpose, self.exam_id, self.ppe_code, self.package_id]))
    }
}

/// Two digits naming the exam and the exam point (public: they let the box tell a code for
/// another point from a mistyped one; the MAC decides).
pub fn tag_of(exam_id: &str, ppe_code: &str) -> u8 {
    let h = ring::digest::digest(&ring::digest::SHA256, &super::canonical_json(&serde_json::json!(["ppe-phone-tag-v1", exam_id, ppe_code])));
    (u32::from_be_bytes([h.as_ref()[0], h.as_ref()[1], h.as_ref()[2], h.as_ref()[3]]) % 100) as u8
}

/// The code's MAC (6 digits) under a key derived from the box's secret: only the hub (which
/// keeps it) and this box can make or check it.
pub fn code_mac(box_secret: &[u8; 32], binding: &SealBinding<'_>, minutes: u16, secret: u64) -> u32 {
    let info = binding.bytes("ppe-phone-mac-v1");
    let info = [info.as_slice()];
    let key: hmac::Key = match hkdf::Salt::new(hkdf::HKDF_SHA256, b"ppe-phone-mac-v1").extract(box_secret).expand(&info, hmac::HMAC_SHA256) {
        Ok(okm) => okm.into(),
        Err(_) => return u32::MAX,
    };
    let tag = hmac::sign(&key, format!("{minutes:04}|{secret:012}").as_bytes());
    let b = tag.as_ref();
    (u64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]) % 1_000_000) as u32
}

/// The code РЦОИ dictates for a seal at `minutes` after the window opened.
pub fn issue(box_secret: &[u8; 32], binding: &SealBinding<'_>, minutes: u16, secret: u64) -> PhoneCode {
    PhoneCode { tag: tag_of(binding.exam_id, binding.ppe_code), minutes, secret, mac: code_mac(box_secret, binding, minutes, secret) }
}

fn seal_key(box_secret: &[u8; 32], secret: u64, binding: &SealBinding<'_>, iterations: u32) -> Option<LessSafeKey> {
    let iterations = std::num::NonZeroU32::new(iterations)?;
    let mut salt = b"ppe-phone-seal-v1".to_vec();
    salt.extend_from_slice(box_secret);
    salt.extend_from_slice(&binding.bytes("ppe-phone-seal-v1"));
    let mut key = zeroize::Zeroizing::new([0u8; 32]);
    pbkdf2::derive(pbkdf2::PBKDF2_HMAC_SHA256, iterations, &salt, format!("{secret:012}").as_bytes(), &mut *key);
    UnboundKey::new(&AES_256_GCM, &*key).ok().map(LessSafeKey::new)
}

/// The package key sealed so that only (this box's secret, the code's secret) open it. Each
/// seal has a fresh box secret, so its derived key seals exactly once (a fixed nonce is safe).
pub fn seal(package_key: &[u8; 32], box_secret: &[u8; 32], secret: u64, binding: &SealBinding<'_>, iterations: u32) -> Option<Vec<u8>> {
    let key = seal_key(box_secret, secret, binding, iterations)?;
    let mut sealed = package_key.to_vec();
    key.seal_in_place_append_tag(Nonce::assume_unique_for_key([0; 12]), Aad::from(binding.package_id.as_bytes()), &mut sealed).ok()?;
    Some(sealed)
}

/// Opens a seal with the code's secret; `None` when anything differs.
pub fn unseal(sealed: &[u8], box_secret: &[u8; 32], secret: u64, binding: &SealBinding<'_>, iterations: u32) -> Option<zeroize::Zeroizing<[u8; 32]>> {
    let key = seal_key(box_secret, secret, binding, iterations)?;
    let mut buf = zeroize::Zeroizing::new(sealed.to_vec());
    let plain = key.open_in_place(Nonce::assume_unique_for_key([0; 12]), Aad::from(binding.package_id.as_bytes()), &mut buf).ok()?;
    let key: [u8; 32] = plain.try_into().ok()?;
    Some(zeroize::Zeroizing::new(key))
}

/// A random secret of 12 decimal digits (the bias of the modulo is below 10⁻⁷).
pub fn random_secret() -> Option<u64> {
    use ring::rand::SecureRandom;
    let mut b = [0u8; 8];
    ring::rand::SystemRandom::new().fill(&mut b).ok()?;
    Some(u64::from_be_bytes(b) % 1_000_000_000_000)
}

/// The minute a code carries for the hub's `now`: inside the window only (the same judgement
/// as the online release: `[open, close)` by the hub's clock).
pub fn minutes_in_window(window: (DateTime<Utc>, DateTime<Utc>), now: DateTime<Utc>) -> Result<u16, PhoneRefusal> {
    if now < window.0 {
        return Err(PhoneRefusal::Key(super::release::KeyRefusal::TooEarly { opens: window.0 }));
    }
    if now >= window.1 {
        return Err(PhoneRefusal::Key(super::release::KeyRefusal::TooLate { closed: window.1 }));
    }
    let minutes = (now - window.0).num_minutes();
    u16::try_from(minutes).ok().filter(|m| i64::from(*m) <= MAX_MINUTES).ok_or(PhoneRefusal::WindowTooLong)
}

/// The box's judgement of a code's time: the hub's time it carries must be inside the window.
pub fn judge_code_time(window: (DateTime<Utc>, DateTime<Utc>), minutes: u16) -> Result<DateTime<Utc>, PhoneRefusal> {
    let at = window.0 + chrono::Duration::minutes(i64::from(minutes));
    if at >= window.1 {
        return Err(PhoneRefusal::Expired { code_time: at, closed: window.1 });
    }
    Ok(at)
}

/// What the box holds of one seal, for judging a code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealFacts {
    pub exam_id: String,
    pub package_id: String,
    pub box_secret: [u8; 32],
}

/// Which of the box's seals a well-formed code answers, by its tag and MAC. A code for another
/// of this box's exams is named as such; a code for another point or with wrong digits
/// answers none (those count as wrong codes).
pub fn identify<'a>(code: &PhoneCode, asked_exam: &str, ppe_code: &str, seals: &'a [SealFacts]) -> Result<&'a SealFacts, PhoneRefusal> {
    let answers = |s: &SealFacts| {
        let binding = SealBinding { exam_id: &s.exam_id, ppe_code, package_id: &s.package_id };
        tag_of(&s.exam_id, ppe_code) == code.tag && code_mac(&s.box_secret, &binding, code.minutes, code.secret) == code.mac
    };
    match seals.iter().find(|s| answers(s)) {
        Some(s) if s.exam_id == asked_exam => Ok(s),
        Some(s) => Err(PhoneRefusal::OtherExam { exam_id: s.exam_id.clone() }),
        None if tag_of(asked_exam, ppe_code) == code.tag => Err(PhoneRefusal::WrongCode),
        None => Err(PhoneRefusal::OtherExamPoint),
    }
}

/// A disclosure as the hub recorded it (what a bundle's offline activation is checked against).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disclosure {
    pub package_id: String,
    pub hub_time: String,
    pub gek_worker_id: String,
    pub operator_login: String,
}

/// Why a code is not issued or not accepted (each with its Russian reason).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhoneRefusal {
    /// The online release's judgement (window, exam, assignment, ГЭК member).
    Key(super::release::KeyRefusal),
    NotDigits,
    WrongLength {
        digits: usize,
    },
    /// The groups (1-based) whose check digit does not match.
    BadGroups(Vec<usize>),
    OtherExamPoint,
    OtherExam {
        exam_id: String,
    },
    WrongCode,
    Expired {
        code_time: DateTime<Utc>,
        closed: DateTime<Utc>,
    },
    Locked,
    /// The box has no sealed key for the exam (it pre-staged without one).
    NoSeal,
    /// The seal is for another version of the package than the one staged.
    OtherPackage,
    /// The hub never sealed a key for the point (the box did not pre-stage over the network).
    NeverSealed,
    /// The exam point is not in the hub's plan.
    PointNotInPlan,
    UnknownOperator,
    /// A documents package needs no ГЭК member, so no code.
    Documents,
    WindowTooLong,
}

impl PhoneRefusal {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Key(k) => k.code(),
            Self::NotDigits | Self::WrongLength { .. } => "code_malformed",
            Self::BadGroups(_) => "code_group_mistyped",
            Self::OtherExamPoint => "code_other_exam_point",
            Self::OtherExam { .. } => "code_other_exam",
            Self::WrongCode => "code_wrong",
            Self::Expired { .. } => "code_expired",
            Self::Locked => "code_locked",
            Self::NoSeal => "no_seal",
            Self::OtherPackage => "seal_other_package",
            Self::NeverSealed => "never_sealed",
            Self::PointNotInPlan => "point_not_in_plan",
            Self::UnknownOperator => "unknown_operator",
            Self::Documents => "documents_need_no_code",
            Self::WindowTooLong => "window_too_long",
        }
    }

    /// A well-formed code that opens nothing for the exam asked: counted towards the lock.
    pub fn counts_as_wrong(&self) -> bool {
        matches!(self, Self::OtherExamPoint | Self::WrongCode)
    }

    pub fn message_ru(&self) -> String {
        match self {
            Self::Key(k) => k.message_ru(),
            Self::NotDigits => "код состоит только из цифр (пробелы и дефисы между группами допустимы)".into(),
            Self::WrongLength { digits } => {
                format!("в коде {GROUPS} групп по {GROUP_LEN} цифр ({} цифр), а введено цифр: {digits}", GROUPS * GROUP_LEN)
            }
            Self::BadGroups(groups) if groups.len() == 1 => format!("группа {} введена с ошибкой: сверьте её с продиктованной", groups[0]),
            Self::BadGroups(groups) => {
                format!(
                    "группы {} введены с ошибкой: сверьте их с продиктованными",
                    groups.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
                )
            }
            Self::OtherExamPoint => {
                "код выдан для другого ППЭ (или продиктован неверно): он не подходит к ключу, запечатанному для этой станции".into()
            }
            Self::OtherExam { exam_id } => format!("код выдан для другого экзамена ({exam_id}): выберите этот экзамен"),
            Self::WrongCode => "код неверен: цифры групп не сходятся с подписью РЦОИ; запросите код ещё раз".into(),
            Self::Expired { code_time, closed } => format!(
                "код выдан РЦОИ в {} (по времени РЦОИ), а окно выдачи ключей закрылось в {}: код недействителен",
                crate::clock::rfc3339(*code_time),
                crate::clock::rfc3339(*closed)
            ),
            Self::Locked => {
                format!("ввод кода заблокирован после {MAX_WRONG_CODES} неверных кодов: свяжитесь с РЦОИ (ключ выдаётся только по связи)")
            }
            Self::NoSeal => {
                "на станции нет ключа, запечатанного для кода по телефону: пакет загружали без связи с РЦОИ; нужна связь или носитель с ключом".into()
            }
            Self::OtherPackage => "запечатанный ключ относится к другой версии пакета: выполните `ppe edge pull` при появлении связи".into(),
            Self::NeverSealed => "ППЭ не получал запечатанный ключ при предварительной загрузке пакета: код по телефону не откроет пакет".into(),
            Self::PointNotInPlan => "такого ППЭ нет в плане РЦОИ".into(),
            Self::UnknownOperator => "нет такой учётной записи оператора РЦОИ (роль operator или admin): `ppe hub user`".into(),
            Self::Documents => "пакет документов выдаётся без члена ГЭК: код по телефону не нужен".into(),
            Self::WindowTooLong => "окно выдачи ключей длиннее, чем может передать код".into(),
        }
    }
}

impl std::fmt::Display for PhoneRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message_ru())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t(s: &str) -> DateTime<Utc> {
        crate::materials::parse_time(s).unwrap()
    }

    const BINDING: SealBinding<'static> = SealBinding { exam_id: "ege-02", ppe_code: "0101", package_id: "pkg-1" };

    fn digits_of(code: &str) -> Vec<u8> {
        code.bytes().filter(u8::is_ascii_digit).map(|b| b - b'0').collect()
    }

    fn text_of(digits: &[u8]) -> String {
        digits.chunks(GROUP_LEN).map(|g| g.iter().map(|d| char::from(b'0' + d)).collect::<String>()).collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn a_code_round_trips_and_reads_as_six_groups_of_five() {
        let code = issue(&[7; 32], &BINDING, 42, 123_456_789_012);
        let text = code.format();
        assert_eq!(text.len(), 6 * 5 + 5);
        assert!(text.split(' ').all(|g| g.len() == 5));
        assert_eq!(PhoneCode::parse(&text), Ok(code));
        assert_eq!(PhoneCode::parse(&text.replace(' ', "-")), Ok(code), "dashes between groups are fine");
        assert_eq!(PhoneCode::parse(&text.replace(' ', "")), Ok(code), "so is no separator");
        assert_eq!(PhoneCode::parse("12345"), Err(PhoneRefusal::WrongLength { digits: 5 }));
        assert_eq!(PhoneCode::parse(&format!("{text} 1")).unwrap_err().code(), "code_malformed");
        assert_eq!(PhoneCode::parse(&text.replacen('1', "l", 1)).unwrap_err(), PhoneRefusal::NotDigits);
    }

    #[test]
    fn every_single_digit_error_and_adjacent_swap_names_its_group_exhaustively_over_one_group() {
        // Every group of 4 data digits, at every position in the code.
        for index in 0..GROUPS {
            for v in 0..10_000u32 {
                let data: Vec<u8> = format!("{v:04}").bytes().map(|b| b - b'0').collect();
                let mut g = data.clone();
                g.push(check_digit(index, &data));
                assert!(group_is_valid(index, &g));
                for pos in 0..GROUP_LEN {
                    for d in 0..10u8 {
                        if d != g[pos] {
                            let mut bad = g.clone();
                            bad[pos] = d;
                            assert!(!group_is_valid(index, &bad), "group {index} {g:?} digit {pos} → {d}");
                        }
                    }
                    if pos + 1 < GROUP_LEN && g[pos] != g[pos + 1] {
                        let mut swapped = g.clone();
                        swapped.swap(pos, pos + 1);
                        assert!(!group_is_valid(index, &swapped), "group {index} {g:?} swap {pos}");
                    }
                }
            }
        }
    }

    proptest! {
        #[test]
        fn a_single_digit_error_or_adjacent_swap_anywhere_is_named_by_its_group(
            minutes in 0u16..10_000, secret in 0u64..1_000_000_000_000, at in 0usize..30, with in 1u8..10, swap in any::<bool>()
        ) {
            let code = issue(&[3; 32], &BINDING, minutes, secret);
            let mut digits = digits_of(&code.format());
            let group = if swap && at % GROUP_LEN < GROUP_LEN - 1 && digits[at] != digits[at + 1] {
                digits.swap(at, at + 1);
                at / GROUP_LEN + 1
            } else {
                digits[at] = (digits[at] + with) % 10;
                at / GROUP_LEN + 1
            };
            prop_assert_eq!(PhoneCode::parse(&text_of(&digits)), Err(PhoneRefusal::BadGroups(vec![group])));
        }
    }

    #[test]
    fn two_wrong_groups_are_both_named() {
        let mut digits = digits_of(&issue(&[3; 32], &BINDING, 5, 9).format());
        digits[0] = (digits[0] + 1) % 10;
        digits[27] = (digits[27] + 4) % 10;
        let refused = PhoneCode::parse(&text_of(&digits)).unwrap_err();
        assert_eq!(refused.message_ru(), "группы 1, 6 введены с ошибкой: сверьте их с продиктованными");
        assert_eq!(PhoneRefusal::BadGroups(vec![3]).message_ru(), "группа 3 введена с ошибкой: сверьте её с продиктованной");
    }

    #[test]
    fn the_seal_opens_with_this_box_and_this_code_only() {
        let (box_secret, other_box) = ([1u8; 32], [2u8; 32]);
        let sealed = seal(&[42; 32], &box_secret, 555, &BINDING, 1_000).unwrap();
        assert_eq!(*unseal(&sealed, &box_secret, 555, &BINDING, 1_000).unwrap(), [42; 32]);
        assert!(unseal(&sealed, &other_box, 555, &BINDING, 1_000).is_none(), "another box's secret");
        assert!(unseal(&sealed, &box_secret, 556, &BINDING, 1_000).is_none(), "another code");
        assert!(unseal(&sealed, &box_secret, 555, &SealBinding { package_id: "pkg-2", ..BINDING }, 1_000).is_none(), "another package");
        assert!(unseal(&sealed, &box_secret, 555, &BINDING, 999).is_none(), "other iterations");
        assert!(seal(&[42; 32], &box_secret, 555, &BINDING, 0).is_none(), "no iterations: no seal");
    }

    #[test]
    fn a_code_is_identified_by_its_tag_and_mac_and_other_codes_are_refused_with_their_reason() {
        let seals = vec![
            SealFacts { exam_id: "ege-02".into(), package_id: "pkg-1".into(), box_secret: [1; 32] },
            SealFacts { exam_id: "oge-05".into(), package_id: "pkg-9".into(), box_secret: [5; 32] },
        ];
        let good = issue(&[1; 32], &BINDING, 30, 77);
        assert_eq!(identify(&good, "ege-02", "0101", &seals).unwrap().package_id, "pkg-1");
        assert_eq!(identify(&good, "oge-05", "0101", &seals), Err(PhoneRefusal::OtherExam { exam_id: "ege-02".into() }));
        let forged = PhoneCode { mac: (good.mac + 1) % 1_000_000, ..good };
        assert_eq!(identify(&forged, "ege-02", "0101", &seals), Err(PhoneRefusal::WrongCode));
        assert!(PhoneRefusal::WrongCode.counts_as_wrong());
        let elsewhere = issue(&[9; 32], &SealBinding { ppe_code: "0102", ..BINDING }, 30, 77);
        let refused = identify(&elsewhere, "ege-02", "0101", &seals).unwrap_err();
        assert!(matches!(refused, PhoneRefusal::OtherExamPoint | PhoneRefusal::WrongCode), "{refused:?}");
        assert!(refused.counts_as_wrong());
        assert!(!PhoneRefusal::OtherExam { exam_id: "x".into() }.counts_as_wrong() && !PhoneRefusal::BadGroups(vec![1]).counts_as_wrong());
    }

    #[test]
    fn the_window_is_judged_by_the_hubs_time_on_both_sides() {
        let w = (t("2027-05-27T02:00:00Z"), t("2027-05-27T03:30:00Z"));
        assert_eq!(minutes_in_window(w, t("2027-05-27T02:00:00Z")), Ok(0));
        assert_eq!(minutes_in_window(w, t("2027-05-27T03:29:59Z")), Ok(89));
        assert_eq!(minutes_in_window(w, t("2027-05-27T01:59:59Z")).unwrap_err().code(), "window_not_open");
        assert_eq!(minutes_in_window(w, t("2027-05-27T03:30:00Z")).unwrap_err().code(), "window_closed");
        assert_eq!(judge_code_time(w, 89), Ok(t("2027-05-27T03:29:00Z")));
        let expired = judge_code_time(w, 90).unwrap_err();
        assert_eq!(expired.code(), "code_expired");
        assert!(expired.message_ru().contains("2027-05-27T03:30:00Z"), "{}", expired.message_ru());
    }
}
