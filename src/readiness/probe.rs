//! The facts of a readiness run, gathered from the devices and the box's stores: CUPS's answer
//! for a station's queue, SANE's options of the scanner (or the inbox folder), the state
//! folder's free space, the exam's pre-staged package and what its activation needs. The
//! judgement of these facts is pure (`readiness::judge`); only the asking is here.

use std::path::Path;
use std::time::Duration;

use super::{PackageFacts, ScannerFacts};
use crate::config::{EdgeFileConfig, ScannerConfig};
use crate::printing::cups::CupsTarget;
use crate::store::Connection;

/// How long `scanimage -A` may take to open a device (a network scanner that is off hangs).
const SCANNER_PROBE_LIMIT: Duration = Duration::from_secs(20);

/// Free bytes (for an unprivileged writer) of the filesystem holding `path` (or its nearest
/// existing ancestor).
pub fn free_disk_bytes(path: &Path) -> Option<u64> {
    let existing = path.ancestors().find(|p| p.exists())?;
    let s = rustix::fs::statvfs(existing).ok()?;
    Some(s.f_bavail.saturating_mul(s.f_frsize))
}

/// CUPS's word on a queue: answering and not stopped (`printer-state` 5), with its message.
pub async fn printer_reachable(target: &CupsTarget) -> (bool, String) {
    match target.printer_state().await {
        Ok((5, message)) => (
            false,
            if message.is_empty() {
                "очередь остановлена".to_string()
            } else {
                format!("очередь остановлена: {message}")
            },
        ),
        Ok((_, message)) => (true, message),
        Err(e) => (false, e.to_string()),
    }
}

/// The highest resolution in `scanimage -A` output (`--resolution 75|150|300|600dpi` or
/// `--resolution 1..1200dpi`).
pub fn max_dpi_of_options(text: &str) -> Option<u32> {
    let line = text.lines().find(|l| l.trim_start().starts_with("--resolution"))?;
    let values = line.trim_start().trim_start_matches("--resolution").split('[').next()?;
    values.split(|c: char| !c.is_ascii_digit()).filter_map(|n| n.parse::<u32>().ok()).max()
}

/// Asks SANE for the device's options (the device opens, so it is there), or checks that the
/// inbox folder a network scanner drops into exists and can be written.
pub fn probe_scanner(cfg: &ScannerConfig) -> ScannerFacts {
    let mut facts = ScannerFacts {
        device: cfg.device.clone(),
        inbox: cfg.inbox.as_ref().map(|p| p.display().to_string()),
        configured_dpi: cfg.resolution_dpi,
        ..Default::default()
    };
    if !cfg.device.is_empty() {
        match scanner_options(&cfg.device) {
            Ok(text) => {
                facts.reachable = true;
                facts.device_max_dpi = max_dpi_of_options(&text);
            }
            Err(reason) => facts.detail = reason,
        }
    } else if let Some(inbox) = &cfg.inbox {
        let probe = inbox.join(".ppe-readiness-probe");
        match std::fs::write(&probe, b"") {
            Ok(()) => {
                let _ = std::fs::remove_file(&probe);
                facts.reachable = true;
            }
            Err(e) => facts.detail = format!("папка {} недоступна для записи: {e}", inbox.display()),
        }
    }
    facts
}

/// `scanimage -d DEVICE -A`, stopped after [`SCANNER_PROBE_LIMIT`].
fn scanner_options(device: &str) -> Result<String, String> {
    use std::io::Read;
    use std::process::{Command, Stdio};
    let mut child = Command::new("scanimage")
        .arg("-d")
        .arg(device)
        .arg("-A")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("scanimage не запускается: {e}"))?;
    let started = std::time::Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() >= SCANNER_PROBE_LIMIT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("устройство {device} не отвечает {} с", SCANNER_PROBE_LIMIT.as_secs()));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(100)),
            Err(e) => return Err(e.to_string()),
        }
    };
    let mut out = String::new();
    let mut err = String::new();
    if let Some(mut o) = child.stdout.take() {
        let _ = o.read_to_string(&mut out);
    }
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    if status.success() {
        Ok(out)
    } else {
        Err(err.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("устройство не открывается").trim().to_string())
    }
}

/// The exam's package on the box and what its activation needs: the box's X25519 secret, the
/// pinned hub key, and ГЭК members the plan assigns to the point on the exam's date.
pub fn package_facts(
    conn: &Connection,
    config: &EdgeFileConfig,
    plan: &crate::model::Plan,
    exam: &crate::model::Exam,
) -> anyhow::Result<PackageFacts> {
    let mut facts = PackageFacts::default();
    if let Some((version, json)) = crate::materials::store::manifest_get(conn, &exam.exam_id)? {
        facts.manifest_version = Some(version);
        if let Ok(m) = serde_json::from_str::<crate::materials::Manifest>(&json) {
            let verified = crate::materials::store::files_verified(conn, &exam.exam_id, &m.package_id)?;
            facts.files_total = m.files.len() as u32;
            facts.files_verified = m.files.iter().filter(|f| verified.contains(&f.name)).count() as u32;
        }
    }
    facts.unwrap_key_present = std::fs::read_to_string(&config.keys.x25519_key_file)
        .map(|t| t.trim().len() == 64 && t.trim().chars().all(|c| c.is_ascii_hexdigit()))
        .unwrap_or(false);
    let pinned = config.hub.signing_public_key.trim();
    facts.hub_key_pinned = pinned.len() == 64 && pinned.chars().all(|c| c.is_ascii_hexdigit()) && pinned.chars().any(|c| c != '0');
    let gek: std::collections::BTreeSet<&str> = plan
        .worker_assignments
        .iter()
        .filter(|a| a.ppe_code == config.ppe_code && a.date == exam.date && !a.reserve)
        .filter(|a| plan.workers.iter().any(|w| w.worker_id == a.worker_id && w.roles.contains(&crate::model::WorkerRole::GekMember)))
        .map(|a| a.worker_id.as_str())
        .collect();
    facts.gek_members = gek.len() as u32;
    Ok(facts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_highest_resolution_is_read_from_either_shape_of_scanimage_options() {
        assert_eq!(max_dpi_of_options("  --mode Gray [Gray]\n    --resolution 1..1200dpi (in steps of 1) [50]\n"), Some(1200));
        assert_eq!(max_dpi_of_options("    --resolution 75|150|300|600dpi [300]\n"), Some(600));
        assert_eq!(max_dpi_of_options("    --mode Color\n"), None);
    }

    #[test]
    fn an_inbox_is_reachable_when_it_can_be_written_and_no_scanner_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let ok = probe_scanner(&ScannerConfig { device: String::new(), inbox: Some(dir.path().to_path_buf()), resolution_dpi: 300 });
        assert!(ok.reachable, "{ok:?}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "the probe file is removed");
        let gone = probe_scanner(&ScannerConfig { device: String::new(), inbox: Some(dir.path().join("absent")), resolution_dpi: 300 });
        assert!(!gone.reachable && gone.detail.contains("недоступна для записи"), "{gone:?}");
        assert!(!probe_scanner(&ScannerConfig::default()).reachable);
    }

    #[test]
    fn free_space_is_read_from_the_nearest_existing_folder() {
        let dir = tempfile::tempdir().unwrap();
        assert!(free_disk_bytes(&dir.path().join("not/yet/there")).is_some_and(|b| b > 0));
    }
}
