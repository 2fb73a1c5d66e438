//! A box not enrolled yet: the config shipped by the package, before `ppe hub enroll`'s files
//! are copied in. check-config then says so in one finding, with what to do, instead of one
//! "no such file" per key.

use std::path::Path;

use super::Problem;
use crate::config::EdgeFileConfig;

/// The files `ppe hub enroll` issues to a box, under their config keys.
pub fn issued_files(cfg: &EdgeFileConfig) -> [(&'static str, &Path); 5] {
    [
        ("hub.ca_file", cfg.hub.ca_file.as_path()),
        ("keys.tls_cert_file", cfg.keys.tls_cert_file.as_path()),
        ("keys.tls_key_file", cfg.keys.tls_key_file.as_path()),
        ("keys.signing_key_file", cfg.keys.signing_key_file.as_path()),
        ("keys.x25519_key_file", cfg.keys.x25519_key_file.as_path()),
    ]
}

/// The finding for a box none of whose issued files exists (`exists` tells, so tests need no
/// files); `None` once any of them is there (then each file is checked on its own and a
/// missing one is named).
pub fn not_enrolled(cfg: &EdgeFileConfig, exists: &dyn Fn(&Path) -> bool) -> Option<Problem> {
    let files = issued_files(cfg);
    if files.iter().any(|(_, path)| exists(path)) {
        return None;
    }
    let folder = cfg.keys.signing_key_file.parent().unwrap_or(Path::new("keys"));
    Some(Problem::error(
        "keys",
        format!(
            "ящик ещё не зарегистрирован: нет ни одного файла, который выдаёт РЦОИ ({}). В РЦОИ: `ppe hub enroll --ppe {} --out DIR`; \
             скопируйте DIR/ppe.toml в этот файл и DIR/keys/ в {} (владелец ppe, права 0600), затем `systemctl start ppe-edge`",
            files.iter().map(|(key, _)| *key).collect::<Vec<_>>().join(", "),
            if cfg.ppe_code.trim().is_empty() { "КОД" } else { cfg.ppe_code.trim() },
            folder.display()
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> EdgeFileConfig {
        crate::config::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("firmware-config/ppe.toml")).unwrap()
    }

    #[test]
    fn the_shipped_config_without_any_issued_file_is_not_enrolled_and_says_what_to_do() {
        let cfg = shipped();
        let problem = not_enrolled(&cfg, &|_| false).expect("not enrolled");
        assert_eq!(problem.key, "keys");
        assert!(problem.reason.contains("ещё не зарегистрирован"), "{}", problem.reason);
        assert!(problem.reason.contains("ppe hub enroll --ppe 0101"), "{}", problem.reason);
        // Relative key paths are relative to the config's folder: /etc/ppe/keys when installed.
        let keys = cfg.keys.x25519_key_file.parent().unwrap().display().to_string();
        assert!(keys.ends_with("firmware-config/keys") && problem.reason.contains(&format!("DIR/keys/ в {keys}")), "{}", problem.reason);
    }

    #[test]
    fn one_issued_file_present_means_enrolled_and_the_others_are_checked_one_by_one() {
        let cfg = shipped();
        let signing = cfg.keys.signing_key_file.clone();
        assert!(not_enrolled(&cfg, &|p| p == signing).is_none());
        assert!(not_enrolled(&cfg, &|p| p.ends_with("ca.crt")).is_none());
    }
}
