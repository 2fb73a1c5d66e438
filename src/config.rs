//! Configuration of the box (`ppe.toml`) and the hub (`hub.toml`).
//!
//! `*FileConfig` is what the TOML holds (serde, unknown keys refused); it is resolved into the
//! runtime config in one place with the precedence defaults < file < `PPE_*` environment <
//! flags. Relative paths in a file are relative to the file's folder, so a hub and a box can
//! live in two folders. Secrets are referenced by path, never inlined.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

mod readiness;
mod recordings;
mod roster;
mod scanning;
pub use readiness::ReadinessConfig;
pub use recordings::{RecordingsConfig, DEFAULT_NAME_PATTERN};
pub use roster::{RosterConfig, StaffMinimum};
pub use scanning::{PagePolicy, ScanningConfig};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("конфигурация {path}: не читается: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("конфигурация {path}: {message}")]
    Parse { path: String, message: String },
    #[error("конфигурация {path}: ключ `{key}`: {reason}")]
    Invalid { path: String, key: String, reason: String },
}

pub const DEFAULT_EDGE_CONFIG: &str = "/etc/ppe/ppe.toml";
pub const DEFAULT_HUB_CONFIG: &str = "/etc/ppe/hub.toml";

/// `ppe.toml`: one exam point's box.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct EdgeFileConfig {
    /// Code of this exam point (ППЭ).
    pub ppe_code: String,
    /// Persistent state: the database, ciphertext, scans, receipts.
    #[serde(default = "default_state_dir")]
    pub state_dir: PathBuf,
    /// tmpfs for decrypted materials (never persistent disk).
    #[serde(default = "default_run_dir")]
    pub run_dir: PathBuf,
    /// Address of the box's web UI on the exam point's LAN.
    #[serde(default = "default_edge_listen")]
    pub listen: String,
    pub hub: HubLinkConfig,
    #[serde(default)]
    pub keys: EdgeKeysConfig,
    #[serde(default)]
    pub printer: PrinterConfig,
    #[serde(default)]
    pub scanner: ScannerConfig,
    /// How scanned pages are stored: original, lossless or bitonal.
    #[serde(default)]
    pub scanning: ScanningConfig,
    #[serde(default)]
    pub serial: SerialConfig,
    #[serde(default)]
    pub retention: RetentionConfig,
    #[serde(default)]
    pub heartbeat: HeartbeatConfig,
    #[serde(default)]
    pub ui: UiConfig,
    /// The region's numbers of the worker roster.
    #[serde(default)]
    pub roster: RosterConfig,
    /// The technical readiness check the day before an exam.
    #[serde(default)]
    pub readiness: ReadinessConfig,
    /// Audio recordings and КЕГЭ answer files: name patterns, lengths, silence, reserve workstations.
    #[serde(default)]
    pub recordings: RecordingsConfig,
}

/// The box's web UI: its TLS certificate and the first start's one-time code.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct UiConfig {
    /// Server certificate (PEM) of the UI, issued by the hub's CA at enrollment. With it and
    /// its key the UI is served over HTTPS; without, `edge serve` serves plain HTTP and only on
    /// a loopback `listen` address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_cert_file: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_key_file: Option<PathBuf>,
    /// The one-time code the first start asks for before the first account is made (written
    /// by `ppe hub enroll`, mode 0600). When the file is absent, `edge serve` makes a code and
    /// prints it to its log (the journal), never to a page.
    #[serde(default = "d_setup_code")]
    pub setup_code_file: PathBuf,
}
impl Default for UiConfig {
    fn default() -> Self {
        Self { tls_cert_file: None, tls_key_file: None, setup_code_file: d_setup_code() }
    }
}
fn d_setup_code() -> PathBuf {
    "setup-code".into()
}

/// How the box reaches the hub.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HubLinkConfig {
    /// e.g. `https://rcoi.example:8443`
    pub url: String,
    /// The hub's CA certificate (PEM), pinned.
    pub ca_file: PathBuf,
    /// The hub's Ed25519 public key (hex), pinned: manifests and receipts are checked with it.
    pub signing_public_key: String,
    /// Optional mirror for package downloads (any static HTTPS server).
    #[serde(default)]
    pub mirror_url: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct EdgeKeysConfig {
    /// TLS client certificate and key issued by the hub's CA.
    #[serde(default = "d_cert")]
    pub tls_cert_file: PathBuf,
    #[serde(default = "d_key")]
    pub tls_key_file: PathBuf,
    /// The box's Ed25519 signing key (PKCS#8), for upload bundles and sheet MACs.
    #[serde(default = "d_ed")]
    pub signing_key_file: PathBuf,
    /// The box's X25519 secret (32 bytes hex), for unwrapping package keys.
    #[serde(default = "d_x")]
    pub x25519_key_file: PathBuf,
}
// Written out (not derived) so that a ppe.toml without a `[keys]` table gets the same paths
// as one with an empty table; the derived Default gave empty paths.
impl Default for EdgeKeysConfig {
    fn default() -> Self {
        Self { tls_cert_file: d_cert(), tls_key_file: d_key(), signing_key_file: d_ed(), x25519_key_file: d_x() }
    }
}

fn d_cert() -> PathBuf {
    "keys/client.crt".into()
}
fn d_key() -> PathBuf {
    "keys/client.key".into()
}
fn d_ed() -> PathBuf {
    "keys/signing.pk8".into()
}
fn d_x() -> PathBuf {
    "keys/x25519.key".into()
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct PrinterConfig {
    /// CUPS queue name; empty means the CUPS default destination.
    #[serde(default)]
    pub name: String,
    /// CUPS server URI (IPP), default the local cupsd.
    #[serde(default)]
    pub cups_uri: String,
    /// Rated speed, pages per minute, to estimate print time.
    #[serde(default)]
    pub pages_per_minute: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct ScannerConfig {
    /// SANE device name (`scanimage -L`), empty for none.
    #[serde(default)]
    pub device: String,
    /// Folder a network scanner drops files into.
    #[serde(default)]
    pub inbox: Option<PathBuf>,
    #[serde(default)]
    pub resolution_dpi: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct SerialConfig {
    /// e.g. `/dev/ppe-barcode` (udev rule in firmware-config); empty for none.
    #[serde(default)]
    pub port: String,
    #[serde(default)]
    pub baud: u32,
    /// `lf`, `cr` or `crlf`.
    #[serde(default)]
    pub line_ending: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RetentionConfig {
    /// Personal data is wiped this many days after the exam, once the receipt is held.
    #[serde(default = "d_retention")]
    pub personal_data_days: u32,
}
impl Default for RetentionConfig {
    fn default() -> Self {
        Self { personal_data_days: d_retention() }
    }
}
fn d_retention() -> u32 {
    30
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HeartbeatConfig {
    #[serde(default = "d_hb")]
    pub interval_secs: u64,
}
impl Default for HeartbeatConfig {
    fn default() -> Self {
        Self { interval_secs: d_hb() }
    }
}
fn d_hb() -> u64 {
    10
}

fn default_state_dir() -> PathBuf {
    "state".into()
}
fn default_run_dir() -> PathBuf {
    "/run/ppe".into()
}
fn default_edge_listen() -> String {
    "127.0.0.1:8080".into()
}
fn default_hub_listen() -> String {
    "127.0.0.1:8443".into()
}

/// `hub.toml`: the regional hub.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HubFileConfig {
    #[serde(default = "default_state_dir")]
    pub state_dir: PathBuf,
    /// HTTPS (mutual TLS for boxes) address.
    #[serde(default = "default_hub_listen")]
    pub listen: String,
    /// The URL boxes use to reach this hub (goes into enrolled `ppe.toml`).
    #[serde(default)]
    pub public_url: String,
    #[serde(default = "d_hub_ca")]
    pub ca_cert_file: PathBuf,
    #[serde(default = "d_hub_ca_key")]
    pub ca_key_file: PathBuf,
    #[serde(default = "d_hub_tls_cert")]
    pub tls_cert_file: PathBuf,
    #[serde(default = "d_hub_tls_key")]
    pub tls_key_file: PathBuf,
    /// The hub's Ed25519 signing key (PKCS#8).
    #[serde(default = "d_hub_sign")]
    pub signing_key_file: PathBuf,
    /// A box that has not reported for this long is shown as silent.
    #[serde(default = "d_silent")]
    pub silent_after_secs: u64,
    /// An upload with no progress for this long is shown as stalled.
    #[serde(default = "d_stalled")]
    pub stalled_after_secs: u64,
    /// A second, plain-HTTP listener serving only `/metrics` without a login (for a
    /// Prometheus on this machine): empty for none; on the main listener `/metrics` needs an
    /// operator's login. Meant for a loopback address (`127.0.0.1:9464`).
    #[serde(default)]
    pub metrics_listen: String,
    /// What one box, one request and one connection may take of the hub.
    #[serde(default)]
    pub limits: HubLimitsConfig,
    /// The ГЭК members' hardware security keys (WebAuthn).
    #[serde(default)]
    pub gek: HubGekConfig,
    /// How plan changes are controlled (shrink, freeze date).
    #[serde(default)]
    pub plan: HubPlanConfig,
    /// When the seating and organizers' seeds are released (`distribution`).
    #[serde(default)]
    pub distribution: HubDistributionConfig,
}

/// `[plan]` of `hub.toml`: the rules of `ppe hub import-plan` (docs/exam-day.md «Изменения плана»).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct HubPlanConfig {
    /// An import removing more than this share (percent) of any table's rows, or of one
    /// exam's or one exam point's rows, is refused unless forced with a reason.
    pub max_removed_percent: u32,
    /// From this date on (`ГГГГ.ММ.ДД`, the hub's local date) every change needs `--reason`
    /// and `--letter` (the plan went to РИС; changes only by official letter).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub freeze_date: Option<String>,
    /// The hub's local time, minutes east of UTC (Moscow 180): its date for the freeze and
    /// the exam day.
    pub utc_offset_min: i32,
}

impl Default for HubPlanConfig {
    fn default() -> Self {
        Self { max_removed_percent: 10, freeze_date: None, utc_offset_min: 180 }
    }
}

/// `[distribution]` of `hub.toml`: the region's calendar for releasing seeds (order 805 §19:
/// not earlier than one working day before the exam) and the morning time of the organizers'.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct HubDistributionConfig {
    /// Non-working days besides weekends, `ГГГГ.ММ.ДД` or `ГГГГ-ММ-ДД`.
    pub holidays: Vec<String>,
    /// Local time (`ЧЧ:ММ`) on the exam day from which the organizers' seed is released.
    pub organizers_from: String,
}

impl Default for HubDistributionConfig {
    fn default() -> Self {
        Self { holidays: Vec::new(), organizers_from: "08:00".into() }
    }
}

/// `[gek]` of `hub.toml`: the WebAuthn relying party the ГЭК members' security keys are
/// registered for (on the dashboard) and asserted to (in a box's UI).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct HubGekConfig {
    /// The relying party id: the domain the keys are bound to (the boxes' and the
    /// dashboard's host names must be it or under it).
    pub rp_id: String,
    /// Origins allowed to register and assert (`https://rcoi.example`, `https://ppe-0101.rcoi.example`);
    /// on `localhost` any port is allowed.
    pub rp_origins: Vec<String>,
}

impl Default for HubGekConfig {
    fn default() -> Self {
        Self { rp_id: "localhost".into(), rp_origins: vec!["https://localhost".into(), "http://localhost".into()] }
    }
}

/// `[limits]` of `hub.toml`: what a box may store and how long anyone may hold the hub's
/// resources (issue 15 hole 3). The per-box allowance grows with the point's plan
/// (`upload::server::limits::allowance`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct HubLimitsConfig {
    /// The largest file one upload may declare (413 past it).
    pub max_upload_bytes: u64,
    /// Bytes a box may store per file it is allowed (its quota: files × this; 507 past it).
    pub page_bytes: u64,
    /// Files allowed per expected page, in percent (rescans, additional sheets, records).
    pub margin_percent: u64,
    /// Files a box may store for exams the plan does not hold at its point, all together.
    pub unplanned_files: u64,
    /// Free space the hub keeps on its upload disk (507 when an upload would eat into it).
    pub min_free_disk_bytes: u64,
    /// Upload requests served at once, by all boxes and by one box (429 past either).
    pub max_concurrent_uploads: u32,
    pub max_concurrent_uploads_per_box: u32,
    /// A request body that sends nothing for this long is cut.
    pub body_idle_secs: u64,
    /// A request's headers (and an idle keep-alive connection) get this long.
    pub header_read_secs: u64,
    /// A TLS handshake gets this long.
    pub handshake_secs: u64,
    /// TLS handshakes in flight at once; connections open at once, in all and per address.
    pub max_handshakes: u32,
    pub max_connections: u32,
    pub max_connections_per_ip: u32,
    /// An unfinished upload with no progress for this long expires; the sweep removes it and
    /// its partial bytes every `sweep_every_secs`.
    pub expire_after_secs: u64,
    pub sweep_every_secs: u64,
}

impl HubLimitsConfig {
    /// Connections per address (0 in the file: no cap of its own beyond `max_connections`).
    pub fn max_per_ip_or_all(&self) -> usize {
        if self.max_connections_per_ip == 0 {
            self.max_connections.max(1) as usize
        } else {
            self.max_connections_per_ip as usize
        }
    }
}

impl Default for HubLimitsConfig {
    fn default() -> Self {
        Self {
            max_upload_bytes: 64 << 20,
            page_bytes: 16 << 20,
            margin_percent: 200,
            unplanned_files: 32,
            min_free_disk_bytes: 1 << 30,
            max_concurrent_uploads: 64,
            max_concurrent_uploads_per_box: 8,
            body_idle_secs: 30,
            header_read_secs: 30,
            handshake_secs: 15,
            max_handshakes: 512,
            max_connections: 4096,
            max_connections_per_ip: 256,
            expire_after_secs: 24 * 3600,
            sweep_every_secs: 300,
        }
    }
}
fn d_hub_ca() -> PathBuf {
    "keys/ca.crt".into()
}
fn d_hub_ca_key() -> PathBuf {
    "keys/ca.key".into()
}
fn d_hub_tls_cert() -> PathBuf {
    "keys/server.crt".into()
}
fn d_hub_tls_key() -> PathBuf {
    "keys/server.key".into()
}
fn d_hub_sign() -> PathBuf {
    "keys/signing.pk8".into()
}
fn d_silent() -> u64 {
    60
}
fn d_stalled() -> u64 {
    300
}

impl HubFileConfig {
    pub fn with_defaults() -> Self {
        toml::from_str("").unwrap_or_else(|_| unreachable_default())
    }
}

// `HubFileConfig` has defaults for every key, so parsing "" cannot fail; this keeps the
// function total without a panic path.
fn unreachable_default() -> HubFileConfig {
    HubFileConfig {
        state_dir: default_state_dir(),
        listen: default_hub_listen(),
        public_url: String::new(),
        ca_cert_file: d_hub_ca(),
        ca_key_file: d_hub_ca_key(),
        tls_cert_file: d_hub_tls_cert(),
        tls_key_file: d_hub_tls_key(),
        signing_key_file: d_hub_sign(),
        silent_after_secs: d_silent(),
        stalled_after_secs: d_stalled(),
        metrics_listen: String::new(),
        limits: HubLimitsConfig::default(),
        gek: HubGekConfig::default(),
        plan: HubPlanConfig::default(),
        distribution: HubDistributionConfig::default(),
    }
}

/// Reads a TOML config; relative paths are resolved against the file's folder.
pub fn load<T: serde::de::DeserializeOwned + ResolvePaths>(path: &Path) -> Result<T, ConfigError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: shown.clone(), source })?;
    let mut cfg: T = parse(&text, &shown)?;
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    cfg.resolve_paths(&base);
    Ok(cfg)
}

/// Parses a config file's text (`shown` names the file in the error); [`load`] reads the file
/// and resolves its paths.
pub fn parse<T: serde::de::DeserializeOwned>(text: &str, shown: &str) -> Result<T, ConfigError> {
    toml::from_str(text).map_err(|e| ConfigError::Parse { path: shown.to_string(), message: one_line(&e.to_string()) })
}

/// Applies `PPE_*` environment overrides (after the file, before flags).
pub fn apply_env_edge(cfg: &mut EdgeFileConfig, env: &dyn Fn(&str) -> Option<String>) {
    if let Some(v) = env("PPE_STATE_DIR") {
        cfg.state_dir = v.into();
    }
    if let Some(v) = env("PPE_RUN_DIR") {
        cfg.run_dir = v.into();
    }
    if let Some(v) = env("PPE_LISTEN") {
        cfg.listen = v;
    }
    if let Some(v) = env("PPE_HUB_URL") {
        cfg.hub.url = v;
    }
    if let Some(v) = env("PPE_PRINTER") {
        cfg.printer.name = v;
    }
    if let Some(v) = env("PPE_CUPS_URI") {
        cfg.printer.cups_uri = v;
    }
}

pub fn apply_env_hub(cfg: &mut HubFileConfig, env: &dyn Fn(&str) -> Option<String>) {
    if let Some(v) = env("PPE_HUB_STATE_DIR") {
        cfg.state_dir = v.into();
    }
    if let Some(v) = env("PPE_HUB_LISTEN") {
        cfg.listen = v;
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub trait ResolvePaths {
    fn resolve_paths(&mut self, base: &Path);
}

fn rebase(p: &mut PathBuf, base: &Path) {
    if p.is_relative() && !p.as_os_str().is_empty() {
        *p = base.join(&*p);
    }
}

impl ResolvePaths for EdgeFileConfig {
    fn resolve_paths(&mut self, base: &Path) {
        rebase(&mut self.state_dir, base);
        rebase(&mut self.run_dir, base);
        rebase(&mut self.hub.ca_file, base);
        rebase(&mut self.keys.tls_cert_file, base);
        rebase(&mut self.keys.tls_key_file, base);
        rebase(&mut self.keys.signing_key_file, base);
        rebase(&mut self.keys.x25519_key_file, base);
        if let Some(inbox) = &mut self.scanner.inbox {
            rebase(inbox, base);
        }
        self.recordings.inbox.iter_mut().for_each(|p| rebase(p, base));
        for file in [&mut self.ui.tls_cert_file, &mut self.ui.tls_key_file].into_iter().flatten() {
            rebase(file, base);
        }
        rebase(&mut self.ui.setup_code_file, base);
    }
}

impl ResolvePaths for HubFileConfig {
    fn resolve_paths(&mut self, base: &Path) {
        rebase(&mut self.state_dir, base);
        rebase(&mut self.ca_cert_file, base);
        rebase(&mut self.ca_key_file, base);
        rebase(&mut self.tls_cert_file, base);
        rebase(&mut self.tls_key_file, base);
        rebase(&mut self.signing_key_file, base);
    }
}

impl EdgeFileConfig {
    pub fn db_path(&self) -> PathBuf {
        self.state_dir.join("ppe.db")
    }
}

impl HubFileConfig {
    pub fn db_path(&self) -> PathBuf {
        self.state_dir.join("hub.db")
    }
}

#[cfg(test)]
mod tests;
