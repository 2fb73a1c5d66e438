//! What both sides of a wire agree on: header names, paths, the error body, the hub's signed
//! time, the heartbeat report, key-request and key-release shapes, the bundle manifest and
//! receipt, and the tus dialect. The box's client (`hub_client`) and the hub's servers both
//! import from here, never from each other. Shapes only: the rules that judge them live in
//! their domains (`materials::release`, `upload`, `monitoring`).

pub mod bundle;
pub mod distribution;
pub mod heartbeat;
pub mod hub_time;
pub mod key;
pub mod readiness;
pub mod tus;

use serde::{Deserialize, Serialize};

pub use hub_time::{is_time_nonce, time_signature_message, SignedTime, HUB_TIME_HEADER, HUB_TIME_SIGNATURE_HEADER, TIME_NONCE_HEADER};

/// The hub's Ed25519 signature (hex) over the body of an answer it signs (the plan slice).
pub const SIGNATURE_HEADER: &str = "x-ppe-signature";

/// The paths of the hub's box-facing server.
pub mod paths {
    /// `GET` with [`super::TIME_NONCE_HEADER`]: the hub's time signed with that nonce
    /// ([`super::SignedTime`]).
    pub const TIME: &str = "/v1/time";
    /// `GET`: the calling exam point's slice of the plan, signed ([`super::SIGNATURE_HEADER`]).
    pub const PLAN: &str = "/v1/plan";
    /// `GET {PACKAGES}/{exam_id}/{ppe_code}/{file}` with `Range`: a package's files.
    pub const PACKAGES: &str = "/v1/packages";
    /// `POST`: a [`super::heartbeat::HeartbeatReport`], answered by a [`super::heartbeat::HeartbeatAck`].
    pub const HEARTBEAT: &str = "/v1/heartbeat";
    /// The tus endpoint of uploads.
    pub const UPLOADS: &str = "/v1/uploads";
    /// `POST`: a signed bundle manifest once its files are up, answered by a signed receipt.
    pub const BUNDLES: &str = "/v1/uploads/bundles";

    /// `POST`: a [`super::key::KeyRequest`] for an exam's package key (the route's pattern).
    pub const KEY: &str = "/v1/exams/{exam_id}/key";

    /// `POST`: a [`super::key::GekChallengeRequest`], answered by a one-time
    /// [`super::key::GekChallenge`] the ГЭК member's proof signs.
    pub const GEK_CHALLENGE: &str = "/v1/gek/challenge";

    /// `POST`: a [`super::readiness::ReadinessReport`] the day before an exam, answered by a
    /// [`super::readiness::ReadinessAck`].
    pub const READINESS: &str = "/v1/readiness";

    /// `GET {DISTRIBUTION}/{exam_id}/{purpose}`: the exam's seed for the calling exam point
    /// ([`super::distribution::SignedSeed`]); `POST {DISTRIBUTION}/{exam_id}/seating`: the
    /// seating made from it ([`super::distribution::SeatingReport`]).
    pub const DISTRIBUTION: &str = "/v1/distribution";

    /// The seed of `purpose` (`seating`, `organizers`) of one exam.
    pub fn seed(exam_id: &str, purpose: &str) -> String {
        format!("{DISTRIBUTION}/{exam_id}/{purpose}")
    }

    /// Where the seating of one exam is reported.
    pub fn seating_report(exam_id: &str) -> String {
        format!("{DISTRIBUTION}/{exam_id}/seating")
    }

    /// [`KEY`] for one exam.
    pub fn key(exam_id: &str) -> String {
        KEY.replace("{exam_id}", exam_id)
    }

    /// `POST`: a [`super::key::KeyRequest`] at prestage, answered by a
    /// [`super::key::PhoneSeal`] (the key by phone; the route's pattern).
    pub const PHONE_SEAL: &str = "/v1/exams/{exam_id}/phone-seal";

    /// [`PHONE_SEAL`] for one exam.
    pub fn phone_seal(exam_id: &str) -> String {
        PHONE_SEAL.replace("{exam_id}", exam_id)
    }
}

/// The body of every refusal from the hub: a stable code, a reason, and (upload answers) the
/// reason in Russian for the operator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_ru: Option<String>,
}

impl ErrorBody {
    pub fn new(error: impl Into<String>, message: impl Into<String>) -> Self {
        Self { error: error.into(), message: message.into(), message_ru: None }
    }

    /// The reason to show a person: the Russian text when there is one.
    pub fn reason(&self) -> &str {
        self.message_ru.as_deref().unwrap_or(&self.message)
    }
}

/// The production text of every `.rs` file under `src/` (test modules cut off), by path
/// relative to `src/`: the house-rule tests of the wire read it.
#[cfg(test)]
pub(crate) fn production_sources() -> Vec<(String, String)> {
    fn walk(root: &std::path::Path, dir: &std::path::Path, out: &mut Vec<(String, String)>) {
        for path in std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()) {
            if path.is_dir() {
                walk(root, &path, out);
            } else if path.extension().is_some_and(|e| e == "rs") && path.file_stem().is_some_and(|s| s != "tests") {
                let text = std::fs::read_to_string(&path).unwrap();
                let production = text.split("#[cfg(test)]\nmod tests").next().unwrap_or_default();
                out.push((path.strip_prefix(root).unwrap().display().to_string(), production.to_string()));
            }
        }
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    walk(&root, &root, &mut out);
    assert!(out.len() > 50, "the walk found the source tree");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_header_names_are_spelled_only_in_protocol() {
        let spelled: Vec<String> = production_sources()
            .into_iter()
            .filter(|(path, _)| !path.starts_with("protocol"))
            .filter(|(_, text)| text.to_ascii_lowercase().contains("\"x-ppe-"))
            .map(|(path, _)| path)
            .collect();
        assert!(spelled.is_empty(), "x-ppe-* header literals outside protocol: {spelled:?}");
    }

    #[test]
    fn the_key_path_fills_the_route_pattern() {
        assert_eq!(paths::key("ege-02"), "/v1/exams/ege-02/key");
    }

    #[test]
    fn error_body_reads_both_shapes_the_hub_sends() {
        let plain: ErrorBody = serde_json::from_str(r#"{"error":"window_closed","message":"окно закрыто"}"#).unwrap();
        assert_eq!((plain.error.as_str(), plain.reason()), ("window_closed", "окно закрыто"));
        let upload: ErrorBody = serde_json::from_str(r#"{"error":"hash_mismatch","message":"file altered","message_ru":"файл изменён"}"#).unwrap();
        assert_eq!(upload.reason(), "файл изменён");
        assert_eq!(serde_json::to_string(&ErrorBody::new("a", "b")).unwrap(), r#"{"error":"a","message":"b"}"#);
    }
}
