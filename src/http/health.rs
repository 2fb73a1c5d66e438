//! `/healthz` and `/readyz` on every daemon listener (box UI, hub, the hub's metrics listener):
//! no login, no personal data, cheap. `/healthz` answers while the process serves requests;
//! `/readyz` answers 200 only when the store opens at the schema this binary knows and the
//! keys the daemon needs are in place (the hub's CA, certificate and signing key; the box's
//! enrolment: hub CA, client certificate and key, signing key), else 503 with the failed
//! checks, so a load balancer, systemd or a script waits instead of sending work.

use std::path::Path;
use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use crate::context::{EdgeContext, HubContext};

/// One readiness check: a stable name, whether it holds, a Russian detail when it does not.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Check {
    pub name: &'static str,
    pub ok: bool,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

impl Check {
    fn of(name: &'static str, result: Result<(), String>) -> Self {
        match result {
            Ok(()) => Check { name, ok: true, detail: String::new() },
            Err(detail) => Check { name, ok: false, detail },
        }
    }
}

/// The body of `/readyz`.
#[derive(Debug, Serialize)]
pub struct Readiness {
    pub ready: bool,
    pub checks: Vec<Check>,
}

impl Readiness {
    pub fn of(checks: Vec<Check>) -> Self {
        Self { ready: checks.iter().all(|c| c.ok), checks }
    }
}

/// What `/readyz` runs (on the blocking pool: it opens the database).
pub type ReadyChecks = Arc<dyn Fn() -> Vec<Check> + Send + Sync>;

/// `router` with `/healthz` and `/readyz` added outside any login. Added as routes of the
/// same router (not merged), so its fallback and the layers it already has stay as they were.
pub fn with_health(router: Router, checks: ReadyChecks) -> Router {
    router.route("/healthz", get(|| async { ([(axum::http::header::CACHE_CONTROL, "no-store")], "ok\n") })).route(
        "/readyz",
        get(move || {
            let checks = checks.clone();
            async move {
                let readiness = match tokio::task::spawn_blocking(move || Readiness::of(checks())).await {
                    Ok(r) => r,
                    Err(_) => Readiness::of(vec![Check::of("checks", Err("проверка готовности прервана".into()))]),
                };
                let status = if readiness.ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
                (status, [(axum::http::header::CACHE_CONTROL, "no-store")], Json(readiness)).into_response()
            }
        }),
    )
}

fn store_checks(db: anyhow::Result<crate::context::PooledConnection>) -> Vec<Check> {
    match db {
        Err(e) => vec![Check::of("store", Err(format!("база данных не открывается: {e:#}"))), Check::of("migrations", Err("база не открыта".into()))],
        Ok(conn) => {
            let migrations = match crate::store::schema_version(&conn) {
                Ok(v) if v == crate::store::schema_version_supported() => Ok(()),
                Ok(v) => Err(format!("схема базы {v}, программа знает {}", crate::store::schema_version_supported())),
                Err(e) => Err(format!("версия схемы не читается: {e}")),
            };
            vec![Check::of("store", Ok(())), Check::of("migrations", migrations)]
        }
    }
}

/// A file the daemon needs: present and readable (its content is not read here).
fn file_present(what: &str, path: &Path) -> Result<(), String> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => Ok(()),
        Ok(_) => Err(format!("{what}: {} — не файл", path.display())),
        Err(e) => Err(format!("{what}: {} — {e}", path.display())),
    }
}

/// The hub: its store and its keys.
pub fn hub_checks(ctx: &HubContext) -> Vec<Check> {
    let mut checks = store_checks(ctx.db());
    let c = &ctx.config;
    let keys = [
        ("сертификат УЦ", &c.ca_cert_file),
        ("сертификат сервера", &c.tls_cert_file),
        ("ключ сервера", &c.tls_key_file),
        ("ключ подписи РЦОИ", &c.signing_key_file),
    ]
    .into_iter()
    .map(|(what, p)| file_present(what, p))
    .collect::<Result<Vec<()>, String>>()
    .map(|_| ());
    checks.push(Check::of("keys", keys));
    checks
}

/// The box: its store and its enrolment (the files `ppe hub enroll` wrote).
pub fn edge_checks(ctx: &EdgeContext) -> Vec<Check> {
    let mut checks = store_checks(ctx.db());
    let c = &ctx.config;
    let enrolment = if c.ppe_code.trim().is_empty() {
        Err("в конфигурации нет кода ППЭ".to_string())
    } else {
        [
            ("сертификат УЦ РЦОИ", &c.hub.ca_file),
            ("сертификат ППЭ", &c.keys.tls_cert_file),
            ("ключ ППЭ", &c.keys.tls_key_file),
            ("ключ подписи ППЭ", &c.keys.signing_key_file),
        ]
        .into_iter()
        .map(|(what, p)| file_present(what, p))
        .collect::<Result<Vec<()>, String>>()
        .map(|_| ())
    };
    checks.push(Check::of("enrolment", enrolment));
    checks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_only_when_every_check_holds() {
        assert!(Readiness::of(vec![Check::of("store", Ok(())), Check::of("keys", Ok(()))]).ready);
        let r = Readiness::of(vec![Check::of("store", Ok(())), Check::of("keys", Err("ключ подписи РЦОИ: нет".into()))]);
        assert!(!r.ready);
        assert_eq!(serde_json::to_value(&r).unwrap()["checks"][1]["detail"], "ключ подписи РЦОИ: нет");
    }

    #[test]
    fn a_missing_file_is_named_and_a_folder_is_not_a_file() {
        let dir = tempfile::tempdir().unwrap();
        assert!(file_present("ключ", &dir.path().join("нет")).unwrap_err().starts_with("ключ: "));
        assert!(file_present("ключ", dir.path()).is_err());
        std::fs::write(dir.path().join("k"), b"x").unwrap();
        assert!(file_present("ключ", &dir.path().join("k")).is_ok());
    }
}
