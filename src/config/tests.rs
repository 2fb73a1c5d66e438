//! The config loader's tests: parse errors name the file and the key, env overrides, paths.

use super::*;

#[test]
fn unknown_key_is_refused_with_file_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("hub.toml");
    std::fs::write(&p, "listen = \"127.0.0.1:1\"\nlisten_typo = 1\n").unwrap();
    let err = load::<HubFileConfig>(&p).unwrap_err().to_string();
    assert!(err.contains("hub.toml") && err.contains("listen_typo"), "{err}");
}

#[test]
fn relative_paths_follow_the_file_and_env_overrides_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("ppe.toml");
    std::fs::write(&p, "ppe_code = \"0101\"\n[hub]\nurl = \"https://h\"\nca_file = \"keys/ca.crt\"\nsigning_public_key = \"00\"\n").unwrap();
    let mut cfg = load::<EdgeFileConfig>(&p).unwrap();
    assert_eq!(cfg.hub.ca_file, dir.path().join("keys/ca.crt"));
    assert_eq!(cfg.state_dir, dir.path().join("state"));
    assert_eq!(cfg.keys.signing_key_file, dir.path().join("keys/signing.pk8"), "defaults apply without a [keys] table");
    apply_env_edge(&mut cfg, &|k| (k == "PPE_LISTEN").then(|| "0.0.0.0:9".to_string()));
    assert_eq!(cfg.listen, "0.0.0.0:9");
}

#[test]
fn hub_defaults_are_complete() {
    // Every key has a serde default, so an empty file parses (with_defaults never needs its
    // fallback), and the hand-written fallback agrees with the serde defaults on every key.
    let parsed: HubFileConfig = toml::from_str("").expect("an empty hub.toml parses: every key has a default");
    let serde_defaults = toml::to_string(&parsed).unwrap();
    assert_eq!(serde_defaults, toml::to_string(&unreachable_default()).unwrap());
    assert_eq!(serde_defaults, toml::to_string(&HubFileConfig::with_defaults()).unwrap());
    assert_eq!(parsed.silent_after_secs, 60);
}
