use chrono::NaiveDate;
use proptest::prelude::*;

use super::Format::*;
use super::*;

#[test]
fn text_format_follows_order_805() {
    assert!(check_format("Гимназия №1", Text).is_err(), "№ is not in §21");
    assert!(check_format("МАОУ Гимназия 1 (корп. 2), г. Томск", Text).is_ok());
    assert!(check_format("School-1_a/b", Text).is_ok());
    assert!(check_format("тире — длинное", Text).is_err());
    assert!(check_format("табуляция\t", Text).is_err());
}

#[test]
fn names_allow_letters_hyphen_space_only() {
    assert!(check_format("Римский-Корсаков", Name).is_ok());
    assert!(check_format("Ёлкина", Name).is_ok());
    assert!(check_format("Smith", Name).is_ok());
    assert!(check_format("Иванов2", Name).is_err());
    assert!(check_format("-Иванов", Name).is_err());
    assert!(check_format("Иван  Иваныч", Name).is_err());
    assert!(check_format("О'Коннор", Name).is_err());
}

#[test]
fn numbers_codes_times_bools_phones_emails() {
    assert_eq!(check_format("1 200", Number).unwrap(), "1200");
    assert!(check_format("12a", Number).is_err());
    assert!(check_format("-", Number).is_err());
    assert!(check_format("PPE-0101", Code).is_ok());
    assert!(check_format("ППЭ0101", Code).is_err());
    assert!(check_format("ege.02", Code).is_err(), "dots separate sheet-code fields");
    assert_eq!(check_format("9:05", Time).unwrap(), "09:05");
    assert!(check_format("25:00", Time).is_err());
    assert_eq!(check_format("Да", Bool).unwrap(), "true");
    assert_eq!(check_format("0", Bool).unwrap(), "false");
    assert!(check_format("может быть", Bool).is_err());
    assert!(check_format("+7 (913) 123-45-67", Phone).is_ok());
    assert!(check_format("8-913-abc", Phone).is_err());
    assert!(check_format("123", Phone).is_err());
    assert!(check_format("a.b@school.ru", Email).is_ok());
    assert!(check_format("a.b@school", Email).is_err());
    assert!(check_format("@school.ru", Email).is_err());
    assert_eq!(check_format("ege, oge", CodeList).unwrap(), "ege;oge");
    assert!(check_format("ege;огэ", CodeList).is_err());
}

#[test]
fn dates_are_normalized_from_three_shapes() {
    assert_eq!(normalize_date("2008.05.14").unwrap(), "2008.05.14");
    assert_eq!(normalize_date("2008-05-14").unwrap(), "2008.05.14");
    assert_eq!(normalize_date("14.05.2008").unwrap(), "2008.05.14");
    assert_eq!(normalize_date("2008-05-14 00:00:00").unwrap(), "2008.05.14");
    assert!(normalize_date("2008.02.30").is_err());
    assert!(normalize_date("14/05/2008").is_err());
    assert!(normalize_date("1800.01.01").is_err());
    assert!(normalize_date("").is_err());
}

#[test]
fn snils_checksum_known_values() {
    // 112-233-445 95 is the textbook example.
    assert_eq!(normalize_snils("112-233-445 95").unwrap(), "112-233-445 95");
    assert_eq!(normalize_snils("11223344595").unwrap(), "112-233-445 95");
    assert!(normalize_snils("112-233-445 96").unwrap_err().contains("контрольная"));
    assert!(normalize_snils("112-233-445").is_err());
    assert!(normalize_snils("112-233-44a 95").is_err());
    // Old numbers carry no checksum.
    assert!(normalize_snils("001-001-001 00").is_ok());
}

#[test]
fn documents_have_their_shapes() {
    assert_eq!(check_document(DocType::PassportRf, "69 12", "345678").unwrap().0, "6912");
    assert!(check_document(DocType::PassportRf, "691", "345678").is_err());
    assert!(check_document(DocType::PassportRf, "6912", "34567").is_err());
    assert!(check_document(DocType::BirthCertificate, "IV-МЮ", "123456").is_ok());
    assert!(check_document(DocType::BirthCertificate, "4-МЮ", "123456").is_err());
    assert!(check_document(DocType::BirthCertificate, "IV-MU", "123456").is_err());
    assert!(check_document(DocType::ForeignPassport, "", "AB12345").is_ok());
    assert!(check_document(DocType::Other, "", "1").is_err());
}

#[test]
fn birth_dates_are_plausible_for_the_level() {
    let day = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
    assert!(check_birth_date(NaiveDate::from_ymd_opt(2010, 3, 1).unwrap(), 9, day).is_ok());
    assert!(check_birth_date(NaiveDate::from_ymd_opt(2020, 3, 1).unwrap(), 9, day).is_err());
    assert!(check_birth_date(NaiveDate::from_ymd_opt(1990, 3, 1).unwrap(), 11, day).is_ok());
    assert!(check_birth_date(NaiveDate::from_ymd_opt(1990, 3, 1).unwrap(), 9, day).is_err());
    assert!(check_birth_date(NaiveDate::from_ymd_opt(1900, 3, 1).unwrap(), 11, day).is_err());
}

proptest! {
    #[test]
    fn any_generated_snils_is_accepted_and_any_other_checksum_refused(digits in proptest::array::uniform9(0u8..10), wrong in 0u8..100) {
        let s = format_snils(&digits);
        prop_assert_eq!(normalize_snils(&s).unwrap(), s.clone());
        let number: u32 = digits.iter().fold(0, |n, &d| n * 10 + u32::from(d));
        if number > 1_001_998 && wrong != snils_checksum(&digits) {
            let bad = format!("{} {:02}", &s[..11], wrong);
            prop_assert!(normalize_snils(&bad).is_err());
        }
    }

    #[test]
    fn dates_in_any_accepted_shape_normalize_to_the_same_day(y in 1901i32..2099, m in 1u32..13, d in 1u32..29) {
        let stored = format!("{y:04}.{m:02}.{d:02}");
        prop_assert_eq!(normalize_date(&format!("{y:04}-{m:02}-{d:02}")).unwrap(), stored.clone());
        prop_assert_eq!(normalize_date(&format!("{d:02}.{m:02}.{y:04}")).unwrap(), stored.clone());
        prop_assert_eq!(normalize_date(&stored).unwrap(), stored);
    }

    #[test]
    fn check_format_never_panics(s in "\\PC*") {
        for f in [Text, Name, Code, Number, Date, Time, Bool, Phone, Email, Snils, CodeList, EnumList] {
            let _ = check_format(&s, f);
        }
    }
}
