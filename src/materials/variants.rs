//! The КИМ variants of a package (DOMAIN.md §6): each file with role `kim` carries its variant
//! number in the manifest (`variant`), taken from its file name when the hub publishes
//! (`kim-variant-2.pdf`, `КИМ вариант 2.pdf`) and checked when the box opens the manifest. An
//! old package with one unnumbered КИМ file is variant 1. Pure.

use std::collections::BTreeMap;

use super::{FileEntry, Manifest, MaterialsError};

/// The largest variant number (three digits on the forms).
pub const MAX_VARIANT: u16 = 999;

/// The variant number a file name states: digits after `variant`, `вариант` or `var`
/// (separators `-`, `_`, space or `.` between them allowed).
pub fn variant_from_file_name(name: &str) -> Option<u16> {
    let lower = name.to_lowercase();
    for word in ["variant", "вариант", "var"] {
        let mut from = 0;
        while let Some(at) = lower[from..].find(word) {
            let rest = &lower[from + at + word.len()..];
            let digits: String = rest.trim_start_matches(['-', '_', ' ', '.', '№']).chars().take_while(char::is_ascii_digit).collect();
            if let Ok(v) = digits.parse::<u16>() {
                return Some(v);
            }
            from += at + word.len();
        }
    }
    None
}

/// The variant of each КИМ file about to be published (`names`: every file's name and role).
/// Refused with the reason: a number out of range, a number twice, or several КИМ files
/// where one has no number in its name.
pub fn number_kim_files(names: &[(String, String)]) -> Result<BTreeMap<String, u16>, String> {
    let kim: Vec<&String> = names.iter().filter(|(_, role)| role == "kim").map(|(n, _)| n).collect();
    let mut out = BTreeMap::new();
    let mut seen: BTreeMap<u16, &String> = BTreeMap::new();
    for name in &kim {
        let v = match variant_from_file_name(name) {
            Some(v) => v,
            None if kim.len() == 1 => 1,
            None => return Err(format!("файл КИМ {name}: в пакете несколько файлов КИМ, а номер варианта в имени не указан (назовите файлы kim-variant-1.pdf, kim-variant-2.pdf, …)")),
        };
        if v == 0 || v > MAX_VARIANT {
            return Err(format!("файл КИМ {name}: номер варианта {v} недопустим (от 1 до {MAX_VARIANT})"));
        }
        if let Some(other) = seen.insert(v, name) {
            return Err(format!("вариант КИМ {v} дважды: {other} и {name}"));
        }
        out.insert((*name).clone(), v);
    }
    Ok(out)
}

/// What the box checks of the variants in a signed manifest: numbers only on КИМ files, in
/// range, none twice; unnumbered КИМ only as the one КИМ file of an old package.
pub fn check_manifest_variants(files: &[FileEntry]) -> Result<(), MaterialsError> {
    let kim_count = files.iter().filter(|f| f.role == "kim").count();
    let mut seen = std::collections::BTreeSet::new();
    for f in files {
        match (f.role == "kim", f.variant) {
            (false, Some(_)) => return Err(MaterialsError::Malformed(format!("файл {}: номер варианта у файла, который не КИМ", f.name))),
            (true, None) if kim_count > 1 => {
                return Err(MaterialsError::Malformed(format!("файл {}: в пакете несколько КИМ, а у этого нет номера варианта", f.name)))
            }
            (true, Some(v)) if v == 0 || v > MAX_VARIANT => {
                return Err(MaterialsError::Malformed(format!("файл {}: номер варианта {v} недопустим", f.name)))
            }
            (true, v) => {
                if !seen.insert(v.unwrap_or(1)) {
                    return Err(MaterialsError::Malformed(format!("файл {}: вариант {} в пакете дважды", f.name, v.unwrap_or(1))));
                }
            }
            (false, None) => {}
        }
    }
    Ok(())
}

/// The КИМ files of a package by variant (an unnumbered one is variant 1).
pub fn kim_variants(m: &Manifest) -> BTreeMap<u16, String> {
    m.files.iter().filter(|f| f.role == "kim").map(|f| (f.variant.unwrap_or(1), f.name.clone())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(names: &[&str]) -> Vec<(String, String)> {
        names.iter().map(|n| (n.to_string(), super::super::role_for_file_name(n).to_string())).collect()
    }

    #[test]
    fn variant_numbers_come_from_the_file_names() {
        assert_eq!(variant_from_file_name("1-kim-variant-2.pdf"), Some(2));
        assert_eq!(variant_from_file_name("КИМ вариант 12.pdf"), Some(12));
        assert_eq!(variant_from_file_name("kim_var3.pdf"), Some(3));
        assert_eq!(variant_from_file_name("1-kim-variant.pdf"), None);
        assert_eq!(variant_from_file_name("instruction.pdf"), None);
    }

    #[test]
    fn publishing_numbers_each_kim_and_refuses_ambiguous_packages() {
        let two = number_kim_files(&named(&["1-kim-variant-1.pdf", "1-kim-variant-2.pdf", "2-instruction.pdf"])).unwrap();
        assert_eq!(two, [("1-kim-variant-1.pdf".to_string(), 1), ("1-kim-variant-2.pdf".to_string(), 2)].into());
        // One unnumbered КИМ: variant 1, as old packages were.
        assert_eq!(number_kim_files(&named(&["kim.pdf", "instruction.pdf"])).unwrap(), [("kim.pdf".to_string(), 1)].into());
        let e = number_kim_files(&named(&["kim-a.pdf", "kim-variant-2.pdf"])).unwrap_err();
        assert!(e.contains("kim-a.pdf") && e.contains("номер варианта"), "{e}");
        let e = number_kim_files(&named(&["kim-variant-2.pdf", "kim-вариант-2.pdf"])).unwrap_err();
        assert!(e.contains("вариант КИМ 2 дважды"), "{e}");
        assert!(number_kim_files(&named(&["kim-variant-0.pdf"])).unwrap_err().contains("недопустим"));
    }

    fn entry(name: &str, role: &str, variant: Option<u16>) -> FileEntry {
        FileEntry {
            name: name.into(),
            role: role.into(),
            variant,
            plain_len: 0,
            cipher_len: 16,
            plain_sha256: String::new(),
            cipher_sha256: "0".repeat(64),
            chunk_size: 1,
            nonce_prefix: String::new(),
        }
    }

    #[test]
    fn the_box_accepts_numbered_and_old_packages_and_refuses_inconsistent_ones() {
        assert!(check_manifest_variants(&[entry("k1", "kim", Some(1)), entry("k2", "kim", Some(2)), entry("i", "instruction", None)]).is_ok());
        assert!(check_manifest_variants(&[entry("kim.pdf", "kim", None), entry("i", "instruction", None)]).is_ok(), "an old package");
        for (files, reason) in [
            (vec![entry("k1", "kim", Some(1)), entry("k2", "kim", None)], "нет номера варианта"),
            (vec![entry("k1", "kim", Some(2)), entry("k2", "kim", Some(2))], "дважды"),
            (vec![entry("i", "instruction", Some(1))], "не КИМ"),
            (vec![entry("k", "kim", Some(1000))], "недопустим"),
        ] {
            let e = check_manifest_variants(&files).unwrap_err().to_string();
            assert!(e.contains(reason), "{e}");
        }
    }
}
