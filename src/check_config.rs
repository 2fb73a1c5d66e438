//! `ppe edge check-config`: validates `ppe.toml` and the files and devices it names before the
//! box is trusted with an exam day, so a typo shows up at install time, not at 09:00.
//!
//! Every problem names the config file, the key and the reason (and, for files, the path and
//! the fix). Errors make the command exit non-zero; warnings (a device tool not installed, a
//! folder that will be created) do not.

pub mod cups;
pub mod enrollment;

use std::path::Path;
use std::process::Command;

use clap::Args;

use crate::config::{self, EdgeFileConfig};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Error,
    Warning,
}

/// One finding about one key.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    pub severity: Severity,
    pub key: String,
    pub reason: String,
}

impl Problem {
    fn error(key: &str, reason: impl Into<String>) -> Self {
        Self { severity: Severity::Error, key: key.to_string(), reason: reason.into() }
    }
    fn warning(key: &str, reason: impl Into<String>) -> Self {
        Self { severity: Severity::Warning, key: key.to_string(), reason: reason.into() }
    }
    /// `FILE: ошибка: ключ `K`: REASON`
    pub fn render(&self, file: &Path) -> String {
        let level = match self.severity {
            Severity::Error => "ошибка",
            Severity::Warning => "предупреждение",
        };
        format!("{}: {level}: ключ `{}`: {}", file.display(), self.key, self.reason)
    }
}

#[derive(Args, Debug)]
pub struct CheckConfigArgs {
    /// Print the findings as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, thiserror::Error)]
#[error("{path}: ошибок {errors}; с этой конфигурацией проводить экзамен нельзя")]
pub struct ConfigRefused {
    pub path: String,
    pub errors: usize,
}

pub fn run(config_path: &Path, args: CheckConfigArgs) -> anyhow::Result<()> {
    // Parse errors (unknown key, missing key, wrong type) already name the file and the key.
    let mut cfg: EdgeFileConfig = config::load(config_path)?;
    config::apply_env_edge(&mut cfg, &|k| std::env::var(k).ok());
    let problems = check_edge(&cfg);
    if args.json {
        crate::outln!("{}", serde_json::to_string_pretty(&problems)?);
    } else {
        for p in &problems {
            crate::outln!("{}", p.render(config_path));
        }
    }
    let errors = problems.iter().filter(|p| p.severity == Severity::Error).count();
    if errors > 0 {
        return Err(ConfigRefused { path: config_path.display().to_string(), errors }.into());
    }
    if !args.json {
        crate::outln!("{}: в порядке (предупреждений: {})", config_path.display(), problems.len());
    }
    Ok(())
}

/// Every check of a box config; empty when all is well.
pub fn check_edge(cfg: &EdgeFileConfig) -> Vec<Problem> {
    let mut out = Vec::new();
    check_ppe_code(&cfg.ppe_code, &mut out);
    if let Err(e) = cfg.listen.parse::<std::net::SocketAddr>() {
        out.push(Problem::error("listen", format!("{:?} — не адрес:порт ({e}); например \"192.168.10.2:8080\"", cfg.listen)));
    }
    check_url("hub.url", &cfg.hub.url, &["https"], &mut out);
    if let Some(mirror) = &cfg.hub.mirror_url {
        check_url("hub.mirror_url", mirror, &["https", "http"], &mut out);
    }
    // A fresh install: one finding saying so instead of one per file enrollment issues.
    if let Some(problem) = enrollment::not_enrolled(cfg, &|p| p.exists()) {
        out.push(problem);
    } else {
        check_enrolled_files(cfg, &mut out);
    }
    check_state_dir(&cfg.state_dir, &mut out);
    check_run_dir(&cfg.run_dir, &mut out);
    check_printer(cfg, &mut out);
    check_scanner(cfg, &mut out);
    check_serial(cfg, &mut out);
    if cfg.heartbeat.interval_secs == 0 {
        out.push(Problem::error("heartbeat.interval_secs", "должен быть не меньше 1"));
    }
    out.extend(cfg.roster.problems().into_iter().map(|(key, reason)| Problem::error(&key, reason)));
    out
}

/// The UI certificate, the hub's pinned CA and key, and the box's own keys: what enrollment
/// issued, each checked on its own.
fn check_enrolled_files(cfg: &EdgeFileConfig, out: &mut Vec<Problem>) {
    check_ui(cfg, out);
    check_pem_certificates("hub.ca_file", &cfg.hub.ca_file, out);
    if let Err(reason) = parse_hex32(cfg.hub.signing_public_key.trim()) {
        out.push(Problem::error("hub.signing_public_key", format!("{reason}; скопируйте его из вывода регистрации ППЭ в РЦОИ (`ppe hub enroll`)")));
    }
    check_pem_certificates("keys.tls_cert_file", &cfg.keys.tls_cert_file, out);
    check_secret_file("keys.tls_key_file", &cfg.keys.tls_key_file, out, pem_private_key);
    check_secret_file("keys.signing_key_file", &cfg.keys.signing_key_file, out, |bytes| {
        crate::keys::ed25519_from_pkcs8(bytes).map(|_| ()).map_err(|e| format!("не ключ Ed25519 в PKCS#8 ({e})"))
    });
    check_secret_file("keys.x25519_key_file", &cfg.keys.x25519_key_file, out, |bytes| {
        if bytes.len() == 32 {
            return Ok(());
        }
        let text = std::str::from_utf8(bytes).map_err(|_| "ни 32 байта, ни 64 шестнадцатеричные цифры".to_string())?;
        parse_hex32(text.trim()).map(|_| ())
    });
}

fn check_ppe_code(code: &str, out: &mut Vec<Problem>) {
    if code.trim().is_empty() {
        out.push(Problem::error("ppe_code", "пуст; это код ППЭ из плана, например \"0101\""));
    } else if !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        out.push(Problem::error("ppe_code", format!("{code:?}: допустимы только буквы, цифры и '-' (код печатается в кодах бланков)")));
    }
}

fn check_url(key: &str, text: &str, schemes: &[&str], out: &mut Vec<Problem>) {
    match reqwest::Url::parse(text) {
        Err(e) => out.push(Problem::error(key, format!("{text:?} — не URL ({e}); например \"https://rcoi.example:8443\""))),
        Ok(url) if !schemes.contains(&url.scheme()) => {
            out.push(Problem::error(key, format!("{text:?}: схема должна быть {}", schemes.join(" или "))));
        }
        Ok(url) if url.host_str().is_none_or(str::is_empty) => out.push(Problem::error(key, format!("{text:?}: нет имени сервера"))),
        Ok(_) => {}
    }
}

fn read_file(key: &str, path: &Path, out: &mut Vec<Problem>) -> Option<Vec<u8>> {
    if path.as_os_str().is_empty() {
        out.push(Problem::error(key, "пуст; укажите файл"));
        return None;
    }
    match std::fs::read(path) {
        Ok(bytes) => Some(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            out.push(Problem::error(key, format!("{}: нет такого файла; скопируйте его из папки, которую записал `ppe hub enroll`", path.display())));
            None
        }
        Err(e) => {
            out.push(Problem::error(key, format!("{}: не читается ({e}); пользователь ppe должен иметь право чтения", path.display())));
            None
        }
    }
}

fn pem_private_key(bytes: &[u8]) -> Result<(), String> {
    use rustls_pki_types::pem::PemObject;
    rustls_pki_types::PrivateKeyDer::from_pem_slice(bytes).map(|_| ()).map_err(|e| format!("не закрытый ключ PEM ({e})"))
}

/// The box UI: HTTPS with the certificate enrollment issued (and its own key), or plain HTTP
/// on a loopback address only — what `edge serve` refuses to start without.
fn check_ui(cfg: &EdgeFileConfig, out: &mut Vec<Problem>) {
    match (&cfg.ui.tls_cert_file, &cfg.ui.tls_key_file) {
        (Some(cert), Some(key)) => {
            let before = out.len();
            check_pem_certificates("ui.tls_cert_file", cert, out);
            check_secret_file("ui.tls_key_file", key, out, pem_private_key);
            if out.len() == before {
                if let (Ok(c), Ok(k)) = (std::fs::read(cert), std::fs::read(key)) {
                    if let Err(e) = crate::http::tls::server_config(&c, &k, None) {
                        out.push(Problem::error("ui.tls_key_file", format!("{} не подходит к {} ({e:#}); зарегистрируйте ППЭ заново", key.display(), cert.display())));
                    }
                }
            }
        }
        (None, None) => {
            if let Ok(addr) = cfg.listen.parse::<std::net::SocketAddr>() {
                if !crate::http::tls::plain_http_allowed(&addr) {
                    let reason = format!("{addr} доступен из локальной сети, а в [ui] не указан сертификат: пароли и сеансы сотрудников шли бы по HTTP без шифрования (plain HTTP); задайте ui.tls_cert_file и ui.tls_key_file (их выдаёт `ppe hub enroll`) или слушайте 127.0.0.1");
                    out.push(Problem::error("listen", reason));
                }
            }
        }
        (Some(_), None) => out.push(Problem::error("ui.tls_key_file", "не задан: ui.tls_cert_file и ui.tls_key_file задаются вместе")),
        (None, Some(_)) => out.push(Problem::error("ui.tls_cert_file", "не задан: ui.tls_cert_file и ui.tls_key_file задаются вместе")),
    }
}

fn check_pem_certificates(key: &str, path: &Path, out: &mut Vec<Problem>) {
    use rustls_pki_types::pem::PemObject;
    let Some(bytes) = read_file(key, path, out) else { return };
    let certs: Result<Vec<_>, _> = rustls_pki_types::CertificateDer::pem_slice_iter(&bytes).collect();
    match certs {
        Ok(c) if !c.is_empty() => {}
        Ok(_) => out.push(Problem::error(key, format!("{}: в файле нет сертификата PEM", path.display()))),
        Err(e) => out.push(Problem::error(key, format!("{}: не сертификат PEM ({e})", path.display()))),
    }
}

/// Secrets must parse and must not be readable by others (group read is allowed so that an
/// operator group can back them up; group write is not).
fn check_secret_file(key: &str, path: &Path, out: &mut Vec<Problem>, parse: impl Fn(&[u8]) -> Result<(), String>) {
    let Some(bytes) = read_file(key, path, out) else { return };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path) {
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o027 != 0 {
                out.push(Problem::error(key, format!("{}: права {mode:04o} позволяют другим читать или менять секрет; выполните `chmod 600 {}`", path.display(), path.display())));
            }
        }
    }
    if let Err(reason) = parse(&bytes) {
        out.push(Problem::error(key, format!("{}: {reason}", path.display())));
    }
}

fn parse_hex32(text: &str) -> Result<[u8; 32], String> {
    let bytes = hex::decode(text).map_err(|e| format!("{text:?} — не шестнадцатеричное число ({e})"))?;
    bytes.try_into().map_err(|b: Vec<u8>| format!("должно быть 32 байта (64 шестнадцатеричные цифры), а найдено байт: {}", b.len()))
}

fn check_state_dir(dir: &Path, out: &mut Vec<Problem>) {
    match std::fs::metadata(dir) {
        Ok(m) if !m.is_dir() => out.push(Problem::error("state_dir", format!("{} — не папка", dir.display()))),
        Ok(_) => {
            let probe = dir.join(".ppe-check-config");
            match std::fs::write(&probe, b"") {
                Ok(()) => {
                    let _ = std::fs::remove_file(&probe);
                }
                Err(e) => out.push(Problem::error("state_dir", format!("{}: запись невозможна ({e}); StateDirectory= в systemd создаёт её для пользователя ppe", dir.display()))),
            }
        }
        Err(_) => match dir.parent().filter(|p| p.is_dir()) {
            Some(_) => out.push(Problem::warning("state_dir", format!("{} ещё нет; она создаётся при первом запуске", dir.display()))),
            None => out.push(Problem::error("state_dir", format!("{}: нет ни её, ни родительской папки", dir.display()))),
        },
    }
}

/// The file system type a path lives on (of its nearest existing ancestor), by `statfs`.
pub fn filesystem_type(path: &Path) -> Option<String> {
    cups::filesystem_of(path).map(|(_, name)| name)
}

fn check_run_dir(dir: &Path, out: &mut Vec<Problem>) {
    match cups::filesystem_of(dir) {
        Some((true, _)) => {}
        Some((false, t)) => out.push(Problem::error(
            "run_dir",
            format!("{} на {t}, а не на tmpfs: расшифрованные материалы попали бы на постоянный диск (persistent disk); используйте /run/ppe (RuntimeDirectory=ppe)", dir.display()),
        )),
        None => out.push(Problem::warning("run_dir", format!("{}: не удаётся определить файловую систему (нет /proc/mounts)", dir.display()))),
    }
}

fn have_program(name: &str) -> bool {
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|dir| dir.join(name).is_file()))
        .unwrap_or(false)
}

/// The printer that gets the КИМ: a CUPS server on this machine whose spool is in memory
/// (or one reached over TLS), and a queue whose device is local or encrypted.
fn check_printer(cfg: &EdgeFileConfig, out: &mut Vec<Problem>) {
    let server = cfg.printer.cups_uri.trim();
    // `-h host:port` for the CUPS tools when ppe.toml names a server.
    let mut lpstat_server = None;
    if !server.is_empty() {
        check_url("printer.cups_uri", server, &["ipp", "ipps", "http", "https"], out);
        if let Ok(url) = reqwest::Url::parse(server) {
            lpstat_server = url.host_str().map(|h| format!("{h}:{}", url.port().unwrap_or(631)));
        }
    }
    match (server.is_empty(), cups::printer_path(server)) {
        (true, _) | (false, cups::PrinterPath::Local) => cups::check_spool(&cups::server_root(), out),
        (false, cups::PrinterPath::Encrypted) => {
            out.push(Problem::warning("printer.cups_uri", format!("{server}: CUPS на другой машине — её спул отсюда не проверить; КИМ должны печататься через CUPS этого ППЭ")));
        }
        (false, _) => cups::judge_path("printer.cups_uri", server, out),
    }
    cups::check_swap(out);
    let name = cfg.printer.name.trim();
    if name.is_empty() {
        out.push(Problem::warning("printer.name", "пусто: печать идёт на принтер CUPS по умолчанию"));
        return;
    }
    if !have_program("lpstat") {
        out.push(Problem::warning("printer.name", format!("очередь {name:?} не проверить: lpstat (cups-client) не установлен")));
        return;
    }
    let lpstat = |args: &[&str]| {
        let mut c = Command::new("lpstat");
        if let Some(h) = &lpstat_server {
            c.args(["-h", h]);
        }
        c.args(args).output()
    };
    match lpstat(&["-p", name]) {
        Ok(o) if o.status.success() => {}
        Ok(o) => {
            let why = String::from_utf8_lossy(&o.stderr).split_whitespace().collect::<Vec<_>>().join(" ");
            out.push(Problem::error("printer.name", format!("в CUPS нет рабочей очереди {name:?} ({why}); см. firmware-config/cups-setup.sh")));
            return;
        }
        Err(e) => {
            out.push(Problem::error("printer.name", format!("lpstat не запускается: {e}")));
            return;
        }
    }
    match lpstat(&["-v", name]).map(|o| cups::device_uri_of(&String::from_utf8_lossy(&o.stdout), name)) {
        Ok(Some(device)) => cups::judge_path("printer.name", &device, out),
        Ok(None) => out.push(Problem::error("printer.name", format!("CUPS не называет устройство очереди {name:?} (lpstat -v): нельзя проверить, как КИМ попадут на принтер"))),
        Err(e) => out.push(Problem::error("printer.name", format!("lpstat не запускается: {e}"))),
    }
}

fn check_scanner(cfg: &EdgeFileConfig, out: &mut Vec<Problem>) {
    if let Some(inbox) = &cfg.scanner.inbox {
        if !inbox.is_dir() {
            out.push(Problem::error("scanner.inbox", format!("{}: такой папки нет", inbox.display())));
        }
    }
    if cfg.scanner.resolution_dpi != 0 && !(150..=600).contains(&cfg.scanner.resolution_dpi) {
        out.push(Problem::warning("scanner.resolution_dpi", format!("{} dpi: кодам нужно 200–300 dpi; 0 — значение по умолчанию, 300", cfg.scanner.resolution_dpi)));
    }
    let device = cfg.scanner.device.trim();
    if device.is_empty() {
        if cfg.scanner.inbox.is_none() {
            out.push(Problem::warning("scanner.device", "нет ни устройства SANE, ни папки приёма: сканы только через `ppe edge scan --from ПАПКА`"));
        }
        return;
    }
    if !have_program("scanimage") {
        out.push(Problem::warning("scanner.device", format!("{device:?} не проверить: scanimage (sane-utils) не установлен")));
        return;
    }
    match Command::new("scanimage").arg("-L").output() {
        Ok(o) => {
            let listed = String::from_utf8_lossy(&o.stdout);
            if !listed.contains(&format!("`{device}'")) {
                out.push(Problem::error("scanner.device", format!("SANE не видит {device:?} (scanimage -L): включён ли сканер и разрешён ли его драйвер?")));
            }
        }
        Err(e) => out.push(Problem::error("scanner.device", format!("scanimage не запускается: {e}"))),
    }
}

const STANDARD_BAUDS: &[u32] = &[1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400];

fn check_serial(cfg: &EdgeFileConfig, out: &mut Vec<Problem>) {
    let s = &cfg.serial;
    if crate::serial::LineEnding::parse(s.line_ending.trim()).is_none() {
        out.push(Problem::error("serial.line_ending", format!("{:?}: укажите \"lf\", \"cr\" или \"crlf\"", s.line_ending)));
    }
    if s.baud != 0 && !STANDARD_BAUDS.contains(&s.baud) {
        out.push(Problem::error("serial.baud", format!("{} — нестандартная скорость; её даёт руководство сканера штрихкодов (обычно 9600)", s.baud)));
    }
    let port = s.port.trim();
    if port.is_empty() {
        out.push(Problem::warning("serial.port", "пусто: в штабе нет сканера штрихкодов"));
        return;
    }
    match std::fs::metadata(port) {
        Err(e) => out.push(Problem::error(
            "serial.port",
            format!("{port}: {e}; подключите сканер штрихкодов или проверьте правило udev firmware-config/udev/99-ppe-barcode.rules"),
        )),
        Ok(meta) => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::FileTypeExt;
                if !meta.file_type().is_char_device() {
                    out.push(Problem::error("serial.port", format!("{port} — не символьное устройство (последовательный порт)")));
                    return;
                }
            }
            #[cfg(not(unix))]
            let _ = meta;
            if let Err(e) = std::fs::OpenOptions::new().read(true).write(true).open(port) {
                out.push(Problem::error("serial.port", format!("{port}: не открывается ({e}); пользователю ppe нужна группа dialout")));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_configs_in_firmware_config_parse() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("firmware-config");
        let edge: EdgeFileConfig = config::load(&root.join("ppe.toml")).unwrap();
        assert_eq!(edge.run_dir, Path::new("/run/ppe"));
        assert_eq!(edge.serial.port, "/dev/ppe-barcode");
        let hub: config::HubFileConfig = config::load(&root.join("hub.toml")).unwrap();
        assert_eq!(hub.silent_after_secs, config::HubFileConfig::with_defaults().silent_after_secs);
    }

    #[test]
    fn example_configs_set_every_key() {
        // "every option and its default": each key of the serialized defaults appears in the
        // example under its own table (`[printer] name`, not any `name`), commented or not.
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("firmware-config");
        let hub_text = std::fs::read_to_string(root.join("hub.toml")).unwrap();
        let defaults = toml::to_string(&config::HubFileConfig::with_defaults()).unwrap();
        let in_example = keys_by_table(&hub_text);
        for key in keys_by_table(&defaults) {
            assert!(in_example.contains(&key), "hub.toml lacks {}.{}", key.0, key.1);
        }
        let edge_text = std::fs::read_to_string(root.join("ppe.toml")).unwrap();
        let edge: EdgeFileConfig = config::load(&root.join("ppe.toml")).unwrap();
        let all = toml::to_string(&edge).unwrap();
        let in_example = keys_by_table(&edge_text);
        for key in keys_by_table(&all) {
            assert!(in_example.contains(&key), "ppe.toml lacks {}.{}", key.0, key.1);
        }
    }

    /// (table, key) for every `key = value` line of a TOML text, commented (`# key = …`) or
    /// not; the table is the latest `[table]` header above it, commented or not.
    fn keys_by_table(text: &str) -> std::collections::BTreeSet<(String, String)> {
        let mut table = String::new();
        let mut out = std::collections::BTreeSet::new();
        for line in text.lines() {
            let l = line.trim().trim_start_matches('#').trim();
            if l.starts_with('[') && l.ends_with(']') && !l.contains('=') {
                table = l.trim_matches(|c| c == '[' || c == ']').trim().to_string();
            } else if let Some((key, _)) = l.split_once(" = ") {
                if !key.contains(' ') {
                    out.insert((table.clone(), key.to_string()));
                }
            }
        }
        out
    }

    #[test]
    fn keys_are_told_apart_by_table() {
        let keys = keys_by_table("a = 1\n[printer]\nname = \"x\"\n# [serial]\n# port = \"/dev/x\"\n");
        assert!(keys.contains(&(String::new(), "a".into())));
        assert!(keys.contains(&("printer".into(), "name".into())));
        assert!(keys.contains(&("serial".into(), "port".into())));
        assert!(!keys.contains(&(String::new(), "name".into())), "a key under [printer] is not a top-level key");
    }

    #[test]
    fn url_and_hex_checks_name_the_key() {
        let mut out = Vec::new();
        check_url("hub.url", "ftp://rcoi", &["https"], &mut out);
        check_url("hub.url", "not a url", &["https"], &mut out);
        check_url("hub.url", "https://rcoi.example:8443", &["https"], &mut out);
        assert_eq!(out.len(), 2);
        assert!(out.iter().all(|p| p.key == "hub.url"));
        assert!(parse_hex32(&"ab".repeat(32)).is_ok());
        assert!(parse_hex32("abcd").unwrap_err().contains("32 байта"));
        assert!(parse_hex32("zz").is_err());
    }

    #[test]
    fn run_dir_on_disk_is_refused_and_tmpfs_accepted() {
        let mut out = Vec::new();
        if filesystem_type(Path::new("/dev/shm")).as_deref() == Some("tmpfs") {
            check_run_dir(Path::new("/dev/shm/ppe-test"), &mut out);
            assert!(out.is_empty(), "{out:?}");
        }
        let dir = tempfile::tempdir_in(env!("CARGO_MANIFEST_DIR")).unwrap();
        assert_ne!(filesystem_type(dir.path()).as_deref(), Some("tmpfs"), "the source tree is on disk");
        check_run_dir(&dir.path().join("run"), &mut out);
        assert_eq!(out.len(), 1);
        assert!(out[0].reason.contains("persistent disk"), "{out:?}");
    }
}
