//! The printer half of `check-config` that keeps the КИМ off persistent disk and off the LAN
//! in clear: cupsd's spool (`RequestRoot`) and `TempDir` on tmpfs, `PreserveJobFiles No`, and
//! a printer that is either local (USB, this machine) or reached over TLS (`ipps://`). The
//! rules over the config text and the URIs are pure; reading files and `statfs` are at the
//! edge (`check`).

use std::path::{Path, PathBuf};

use super::Problem;

/// Where cupsd's configuration lives: `CUPS_SERVERROOT` (what cupsd and the CUPS tools read
/// too), else the Debian default.
pub fn server_root() -> PathBuf {
    std::env::var_os("CUPS_SERVERROOT").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/etc/cups"))
}

/// The value of a top-level directive (the last one wins, as in cupsd; names are
/// case-insensitive; comments and `<Location>`/`<Policy>` blocks are skipped).
pub fn directive(text: &str, name: &str) -> Option<String> {
    let mut depth = 0usize;
    let mut found = None;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line.starts_with("</") {
            depth = depth.saturating_sub(1);
            continue;
        }
        if line.starts_with('<') {
            depth += 1;
            continue;
        }
        if depth > 0 {
            continue;
        }
        let mut parts = line.splitn(2, char::is_whitespace);
        if parts.next().is_some_and(|n| n.eq_ignore_ascii_case(name)) {
            found = Some(parts.next().unwrap_or("").trim().to_string());
        }
    }
    found
}

/// What cupsd keeps of a document, from `cups-files.conf` and `cupsd.conf`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpoolSettings {
    pub request_root: PathBuf,
    pub temp_dir: PathBuf,
    /// The `PreserveJobFiles` value; None when unset (cupsd's default keeps files a day).
    pub preserve_job_files: Option<String>,
    pub preserve_job_history: Option<String>,
}

pub fn spool_settings(cups_files_conf: &str, cupsd_conf: &str) -> SpoolSettings {
    let request_root = directive(cups_files_conf, "RequestRoot").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/var/spool/cups"));
    let temp_dir = directive(cups_files_conf, "TempDir").map(PathBuf::from).unwrap_or_else(|| request_root.join("tmp"));
    SpoolSettings { request_root, temp_dir, preserve_job_files: directive(cupsd_conf, "PreserveJobFiles"), preserve_job_history: directive(cupsd_conf, "PreserveJobHistory") }
}

/// Whether a `PreserveJobFiles`/`PreserveJobHistory` value turns keeping off. Unset is not
/// off: cupsd's default keeps job files for a day.
pub fn is_off(value: Option<&str>) -> bool {
    value.is_some_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "no" | "off" | "false" | "0"))
}

/// How the КИМ reaches the printer behind a device URI (or the CUPS server behind `cups_uri`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrinterPath {
    /// USB, parallel, this machine, or the test printer that writes PDFs.
    Local,
    /// Over the network inside TLS.
    Encrypted,
    /// Over the network in clear: refused for КИМ.
    Clear { host: String },
    /// A backend we cannot judge: refused (fail closed).
    Unknown { scheme: String },
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

pub fn printer_path(uri: &str) -> PrinterPath {
    let uri = uri.trim();
    let (scheme, rest) = uri.split_once(':').unwrap_or((uri, ""));
    let scheme = scheme.to_ascii_lowercase();
    let host = rest.trim_start_matches('/').split(['/', '?']).next().unwrap_or("");
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let host = match host.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) && !h.is_empty() => h,
        _ => host,
    };
    match scheme.as_str() {
        "usb" | "parallel" | "serial" | "cups-pdf" => PrinterPath::Local,
        "ipps" | "https" => PrinterPath::Encrypted,
        // Bonjour names: the service type says whether the printer is reached over TLS.
        "dnssd" | "mdns" if rest.contains("._ipps._tcp") => PrinterPath::Encrypted,
        "dnssd" | "mdns" => PrinterPath::Clear { host: host.to_string() },
        // HPLIP: `hp:/usb/…` is a cable, `hp:/net/…` the LAN.
        "hp" | "hpfax" if rest.starts_with("/usb/") || rest.starts_with("/par/") => PrinterPath::Local,
        "hp" | "hpfax" => PrinterPath::Clear { host: host.to_string() },
        "ipp" | "http" | "socket" | "lpd" | "smb" if is_loopback(host) => PrinterPath::Local,
        "ipp" | "http" | "socket" | "lpd" | "smb" => PrinterPath::Clear { host: host.to_string() },
        other => PrinterPath::Unknown { scheme: other.to_string() },
    }
}

/// The device URI of a queue from `lpstat -v` output ("device for Q: URI").
pub fn device_uri_of(lpstat_v: &str, queue: &str) -> Option<String> {
    let prefix = format!("device for {queue}:");
    lpstat_v.lines().find_map(|l| l.trim().strip_prefix(&prefix)).map(|u| u.trim().to_string())
}

/// The one judgement of a printer path for КИМ; `key` names where the URI came from.
pub fn judge_path(key: &str, uri: &str, out: &mut Vec<Problem>) {
    match printer_path(uri) {
        PrinterPath::Local | PrinterPath::Encrypted => {}
        PrinterPath::Clear { host } => out.push(Problem::error(
            key,
            format!("{uri}: принтер в сети ({host}) без шифрования — КИМ пошли бы по сети ППЭ открытым текстом; подключите принтер по USB или используйте ipps:// (firmware-config/cups-setup.sh)"),
        )),
        PrinterPath::Unknown { scheme } => out.push(Problem::error(
            key,
            format!("{uri}: неизвестный способ подключения «{scheme}» — нельзя проверить, что КИМ не уходят в сеть открытым текстом; используйте usb:// или ipps://"),
        )),
    }
}

/// The file system magic numbers that keep data in memory only.
const TMPFS_MAGIC: u64 = 0x0102_1994;
const RAMFS_MAGIC: u64 = 0x8584_58f6;

/// The file system of a path (of its nearest existing ancestor): "tmpfs", "ramfs", or the
/// magic number of anything else, by `statfs`, so it holds inside a service's own mount
/// namespace too.
pub fn filesystem_of(path: &Path) -> Option<(bool, String)> {
    let mut existing = path.to_path_buf();
    while std::fs::symlink_metadata(&existing).is_err() {
        existing = existing.parent()?.to_path_buf();
    }
    let st = rustix::fs::statfs(&existing).ok()?;
    #[allow(clippy::unnecessary_cast)]
    let magic = (st.f_type as u64) & 0xffff_ffff;
    Some(match magic {
        TMPFS_MAGIC => (true, "tmpfs".to_string()),
        RAMFS_MAGIC => (true, "ramfs".to_string()),
        0xef53 => (false, "ext4".to_string()),
        0x5846_5342 => (false, "xfs".to_string()),
        0x9123_683e => (false, "btrfs".to_string()),
        0x794c_7630 => (false, "overlayfs".to_string()),
        other => (false, format!("0x{other:x}")),
    })
}

/// cupsd's spool and temp folder in memory and no document kept after its job.
pub fn check_spool(root: &Path, out: &mut Vec<Problem>) {
    let files_path = root.join("cups-files.conf");
    let cupsd_path = root.join("cupsd.conf");
    let files = match std::fs::read_to_string(&files_path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => {
            out.push(Problem::error("cups.RequestRoot", format!("{}: не читается ({e}); пользователь ppe должен быть в группе lp", files_path.display())));
            return;
        }
    };
    let cupsd = match std::fs::read_to_string(&cupsd_path) {
        Ok(t) => t,
        Err(e) => {
            out.push(Problem::error(
                "cups.PreserveJobFiles",
                format!("{}: не читается ({e}) — нельзя проверить, что CUPS не хранит документы; пользователь ppe должен быть в группе lp", cupsd_path.display()),
            ));
            String::new()
        }
    };
    let s = spool_settings(&files, &cupsd);
    for (key, dir) in [("cups.RequestRoot", &s.request_root), ("cups.TempDir", &s.temp_dir)] {
        match filesystem_of(dir) {
            Some((true, _)) => {}
            Some((false, fs)) => out.push(Problem::error(
                key,
                format!(
                    "{} ({}) на {fs}, не в памяти: CUPS пишет туда каждый документ, и КИМ оказались бы на постоянном диске; смонтируйте tmpfs (systemd/var-spool-cups.mount, firmware-config/cups-setup.sh)",
                    dir.display(),
                    files_path.display()
                ),
            )),
            None => out.push(Problem::error(key, format!("{}: не удалось определить файловую систему", dir.display()))),
        }
    }
    if !is_off(s.preserve_job_files.as_deref()) {
        out.push(Problem::error(
            "cups.PreserveJobFiles",
            format!(
                "{}: PreserveJobFiles {} — CUPS хранит файлы документов после печати; нужно PreserveJobFiles No (firmware-config/cups-setup.sh)",
                cupsd_path.display(),
                s.preserve_job_files.as_deref().unwrap_or("не задан (по умолчанию сутки)")
            ),
        ));
    }
    if s.preserve_job_history.as_deref().is_some_and(|v| v.eq_ignore_ascii_case("yes")) {
        out.push(Problem::warning("cups.PreserveJobHistory", format!("{}: PreserveJobHistory Yes хранит сведения о заданиях бессрочно; задайте срок (cups-setup.sh ставит 86400)", cupsd_path.display())));
    }
}

/// Swap would carry tmpfs pages (and unlocked memory) to disk.
pub fn check_swap(out: &mut Vec<Problem>) {
    let Ok(swaps) = std::fs::read_to_string("/proc/swaps") else { return };
    let active: Vec<&str> = swaps.lines().skip(1).filter_map(|l| l.split_whitespace().next()).collect();
    if !active.is_empty() {
        out.push(Problem::warning(
            "run_dir",
            format!("включена подкачка ({}): страницы tmpfs с расшифрованными КИМ могут попасть на диск; отключите её (swapoff -a) или шифруйте", active.join(", ")),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directives_are_read_top_level_last_wins_case_insensitive() {
        let conf = "# PreserveJobFiles No\nPreserveJobFiles Yes\n<Policy default>\n  PreserveJobFiles No\n</Policy>\npreservejobfiles  Off\n";
        assert_eq!(directive(conf, "PreserveJobFiles").as_deref(), Some("Off"));
        assert_eq!(directive("", "PreserveJobFiles"), None);
        let s = spool_settings("RequestRoot /run/cups-spool\n", "PreserveJobFiles No\n");
        assert_eq!((s.request_root.as_path(), s.temp_dir.as_path()), (Path::new("/run/cups-spool"), Path::new("/run/cups-spool/tmp")));
        let s = spool_settings("", "");
        assert_eq!(s.request_root, Path::new("/var/spool/cups"));
        assert!(!is_off(s.preserve_job_files.as_deref()), "unset keeps files (cupsd's default: a day)");
        for v in ["No", "off", "FALSE", "0"] {
            assert!(is_off(Some(v)), "{v}");
        }
        for v in ["Yes", "86400", "1d", ""] {
            assert!(!is_off(Some(v)), "{v}");
        }
    }

    #[test]
    fn a_remote_printer_in_clear_is_refused_a_local_or_tls_one_accepted() {
        let cases = [
            ("usb://HP/LaserJet%20P2055?serial=1", PrinterPath::Local),
            ("cups-pdf:/ppe", PrinterPath::Local),
            ("ipp://localhost:631/printers/x", PrinterPath::Local),
            ("socket://127.0.0.1:9100", PrinterPath::Local),
            ("ipp://[::1]/ipp/print", PrinterPath::Local),
            ("ipps://192.168.10.50/ipp/print", PrinterPath::Encrypted),
            ("https://printer.example:443/ipp/print", PrinterPath::Encrypted),
            ("dnssd://HP%20LaserJet._ipps._tcp.local/?uuid=1", PrinterPath::Encrypted),
            ("ipp://192.168.10.50/ipp/print", PrinterPath::Clear { host: "192.168.10.50".into() }),
            ("http://cups.example:631", PrinterPath::Clear { host: "cups.example".into() }),
            ("socket://192.168.10.50:9100", PrinterPath::Clear { host: "192.168.10.50".into() }),
            ("lpd://user@print-server/queue", PrinterPath::Clear { host: "print-server".into() }),
            ("dnssd://HP%20LaserJet._ipp._tcp.local/", PrinterPath::Clear { host: "HP%20LaserJet._ipp._tcp.local".into() }),
            ("hp:/net/HP_LaserJet?ip=192.168.10.50", PrinterPath::Clear { host: "net".into() }),
            ("hp:/usb/HP_LaserJet?serial=1", PrinterPath::Local),
            ("file:///tmp/out.prn", PrinterPath::Unknown { scheme: "file".into() }),
        ];
        for (uri, want) in cases {
            assert_eq!(printer_path(uri), want, "{uri}");
        }
        let mut out = Vec::new();
        judge_path("printer.name", "ipp://192.168.10.50/ipp/print", &mut out);
        judge_path("printer.name", "usb://HP/LaserJet", &mut out);
        assert_eq!(out.len(), 1);
        assert!(out[0].reason.contains("без шифрования") && out[0].reason.contains("ipps://"), "{out:?}");
    }

    #[test]
    fn the_device_uri_is_read_from_lpstat() {
        let text = "device for other: usb://x\ndevice for ppe: ipp://192.168.10.50/ipp/print\n";
        assert_eq!(device_uri_of(text, "ppe").as_deref(), Some("ipp://192.168.10.50/ipp/print"));
        assert_eq!(device_uri_of(text, "nope"), None);
    }

    #[test]
    fn statfs_tells_tmpfs_from_disk() {
        if Path::new("/dev/shm").is_dir() {
            assert_eq!(filesystem_of(Path::new("/dev/shm/ppe-not-there/x")).map(|f| f.0), Some(true));
        }
        let dir = tempfile::tempdir_in(env!("CARGO_MANIFEST_DIR")).unwrap();
        assert_eq!(filesystem_of(dir.path()).map(|f| f.0), Some(false), "the source tree is on disk");
    }
}
