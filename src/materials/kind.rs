//! Package kinds (issue 18 item 6): an exam's КИМ package, and where the exam has one (ИС-9) its
//! documents package — instructions, expert protocols, statements: not secret, but controlled,
//! released from its own moment (`Exam::documents_window`) until the exam's end. Both travel,
//! are signed, verified and keyed alike; a documents package is addressed as `EXAM~documents`
//! (its *scope*: the hub's package rows and folders, the URLs, the box's stores and folders),
//! which no exam id can spell (`~` is not a code character), and its manifest says
//! `"kind": "documents"`. A manifest without a kind is a КИМ package (every package before
//! kinds), so an old manifest verifies byte for byte as before. Pure.

use serde::{Deserialize, Serialize};

/// What a package holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PackageKind {
    /// The exam's КИМ (and its instructions and templates): the key only with a ГЭК member's
    /// proof, inside the materials window.
    #[default]
    Kim,
    /// The exam's documents package: the key from its own moment until the exam's end, to the
    /// assigned point's box without a ГЭК member (a week before the day there is none).
    Documents,
}

/// The scope suffix of a documents package.
pub const DOCUMENTS_SUFFIX: &str = "~documents";

impl PackageKind {
    pub fn is_kim(&self) -> bool {
        *self == Self::Kim
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::Kim => "kim",
            Self::Documents => "documents",
        }
    }

    pub fn title_ru(self) -> &'static str {
        match self {
            Self::Kim => "пакет КИМ",
            Self::Documents => "пакет документов",
        }
    }

    /// The scope of this kind of package of an exam: the exam id itself for КИМ.
    pub fn scope(self, exam_id: &str) -> String {
        match self {
            Self::Kim => exam_id.to_string(),
            Self::Documents => format!("{exam_id}{DOCUMENTS_SUFFIX}"),
        }
    }

    /// The exam and the kind a scope names.
    pub fn of_scope(scope: &str) -> (&str, PackageKind) {
        match scope.strip_suffix(DOCUMENTS_SUFFIX) {
            Some(exam) => (exam, Self::Documents),
            None => (scope, Self::Kim),
        }
    }

    /// The window this kind of package's key is released in, by the exam's data.
    pub fn window(self, exam: &crate::model::Exam) -> Option<(chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>)> {
        match self {
            Self::Kim => exam.materials_window(),
            Self::Documents => exam.documents_window(),
        }
    }

    /// Whether the key needs a ГЭК member's proof.
    pub fn needs_gek(self) -> bool {
        self == Self::Kim
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_name_their_exam_and_kind_and_no_exam_id_can_spell_one() {
        assert_eq!(PackageKind::Kim.scope("is-9"), "is-9");
        assert_eq!(PackageKind::Documents.scope("is-9"), "is-9~documents");
        assert_eq!(PackageKind::of_scope("is-9~documents"), ("is-9", PackageKind::Documents));
        assert_eq!(PackageKind::of_scope("is-9"), ("is-9", PackageKind::Kim));
        let code = crate::validate::check_format("is-9~documents", crate::validate::Format::Code);
        assert!(code.is_err(), "an exam id is a code: `~` is refused, so a scope never collides");
        assert!(PackageKind::Kim.needs_gek() && !PackageKind::Documents.needs_gek());
    }

    fn manifest(exam_id: &str, kind: PackageKind) -> crate::materials::Manifest {
        crate::materials::Manifest {
            format: crate::materials::FORMAT.into(),
            package_id: "p1".into(),
            exam_id: exam_id.into(),
            ppe_code: "0101".into(),
            version: 1,
            created: "2024-02-01T00:00:00Z".into(),
            expires: "2024-02-15T00:00:00Z".into(),
            window_open: "2024-02-07T03:00:00Z".into(),
            window_close: "2024-02-14T10:00:00Z".into(),
            kind,
            files: vec![],
        }
    }

    #[test]
    fn a_manifest_says_its_kind_and_an_old_one_without_a_kind_is_a_kim_package() {
        use crate::materials::{sign_manifest, verify_manifest, Expectation, MaterialsError, SignedManifest};
        let hub = crate::materials::tests::hub_key();
        let public = crate::keys::ed25519_public_hex(&hub);
        let now = crate::materials::parse_time("2024-02-08T00:00:00Z").unwrap();
        let expect = |exam_id| Expectation { hub_public_key: &public, exam_id, ppe_code: "0101", last_seen_version: None, hub_now: now };
        let docs = sign_manifest(manifest("is-9~documents", PackageKind::Documents), &hub);
        assert!(verify_manifest(&docs, &expect("is-9~documents")).is_ok());
        assert!(String::from_utf8(crate::materials::canonical_json(&docs.manifest)).unwrap().contains(r#""kind":"documents""#), "the kind is signed");
        let lying = sign_manifest(manifest("is-9", PackageKind::Documents), &hub);
        assert!(matches!(verify_manifest(&lying, &expect("is-9")), Err(MaterialsError::Malformed(_))), "a documents manifest at a КИМ address");
        let kim_as_docs = sign_manifest(manifest("is-9", PackageKind::Kim), &hub);
        assert!(
            matches!(verify_manifest(&kim_as_docs, &expect("is-9~documents")), Err(MaterialsError::WrongExam { .. })),
            "a КИМ manifest where documents are expected"
        );
        // A manifest signed before kinds existed: no `kind` key in its bytes.
        let mut old = serde_json::to_value(&kim_as_docs).unwrap();
        assert!(old["manifest"].get("kind").is_none(), "a КИМ manifest writes no kind");
        old["manifest"].as_object_mut().unwrap().remove("kind");
        let old: SignedManifest = serde_json::from_value(old).unwrap();
        assert_eq!(old.manifest.kind, PackageKind::Kim);
        assert!(verify_manifest(&old, &expect("is-9")).is_ok(), "its signature still verifies");
        let unknown = serde_json::to_string(&docs).unwrap().replace(r#""kind":"documents""#, r#""kind":"secret""#);
        assert!(serde_json::from_str::<SignedManifest>(&unknown).is_err(), "an unknown kind is refused, not defaulted");
    }
}
