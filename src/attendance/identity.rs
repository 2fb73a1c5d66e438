//! Identity confirmed at the entrance (ППЭ-20): a participant who came without an identity
//! document is admitted when the person accompanying them from their school confirms who they
//! are. The rule is pure (`check`); `identity/ops.rs` records it (one transaction + audit
//! entry), `identity/store.rs` keeps it.

pub mod ops;
pub mod store;

use serde::{Deserialize, Serialize};

/// One recorded confirmation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityConfirmation {
    pub exam_id: String,
    pub ppe_code: String,
    pub participant_id: String,
    /// Full name of the accompanying person.
    pub escort_name: String,
    /// Their identity document (kind, series, number).
    pub escort_document: String,
    /// The member of ГЭК present (the point's own that day).
    pub gek_worker_id: String,
    /// When it happened (RFC 3339).
    pub at: String,
    pub actor: String,
}

/// Why a confirmation is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    #[error("участник {0}: укажите фамилию, имя и отчество сопровождающего")]
    EscortNameRequired(String),
    #[error("участник {0}: укажите документ сопровождающего, удостоверяющий личность")]
    EscortDocumentRequired(String),
    #[error("участник {participant} не зарегистрирован на экзамен {exam} в этом ППЭ: личность не подтверждается")]
    NotRegistered { participant: String, exam: String },
    #[error("участник {participant}: личность на экзамене {exam} уже подтверждена (акт ППЭ-20)")]
    AlreadyConfirmed { participant: String, exam: String },
    #[error("участник {0}: подтверждение оформляется в присутствии члена ГЭК (укажите его)")]
    GekRequired(String),
}

/// Whether a confirmation may be recorded: the participant is registered for the exam here,
/// not confirmed before, and the escort's name and document and the ГЭК member are given.
pub fn check(c: &IdentityConfirmation, registered: bool, already: bool) -> Result<(), IdentityError> {
    let participant = || c.participant_id.clone();
    if !registered {
        return Err(IdentityError::NotRegistered { participant: participant(), exam: c.exam_id.clone() });
    }
    if already {
        return Err(IdentityError::AlreadyConfirmed { participant: participant(), exam: c.exam_id.clone() });
    }
    if c.escort_name.split_whitespace().count() < 2 {
        return Err(IdentityError::EscortNameRequired(participant()));
    }
    if c.escort_document.trim().is_empty() {
        return Err(IdentityError::EscortDocumentRequired(participant()));
    }
    if c.gek_worker_id.trim().is_empty() {
        return Err(IdentityError::GekRequired(participant()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn confirmation() -> IdentityConfirmation {
        IdentityConfirmation {
            exam_id: "ege-02".into(),
            ppe_code: "0101".into(),
            participant_id: "p1".into(),
            escort_name: "Петрова Мария Ивановна".into(),
            escort_document: "паспорт 4510 123456".into(),
            gek_worker_id: "w-gek".into(),
            at: "2027-06-01T08:50:00Z".into(),
            actor: "organizer".into(),
        }
    }

    #[test]
    fn a_confirmation_with_the_escort_named_and_documented_holds() {
        assert_eq!(check(&confirmation(), true, false), Ok(()));
    }

    #[test]
    fn a_confirmation_is_refused_with_its_reason() {
        let c = confirmation();
        assert!(matches!(check(&c, false, false), Err(IdentityError::NotRegistered { .. })));
        assert!(matches!(check(&c, true, true), Err(IdentityError::AlreadyConfirmed { .. })));
        let no_name = IdentityConfirmation { escort_name: "Петрова".into(), ..c.clone() };
        assert_eq!(check(&no_name, true, false), Err(IdentityError::EscortNameRequired("p1".into())));
        let no_doc = IdentityConfirmation { escort_document: " ".into(), ..c.clone() };
        let err = check(&no_doc, true, false).unwrap_err();
        assert!(err.to_string().contains("документ сопровождающего"), "{err}");
        let no_gek = IdentityConfirmation { gek_worker_id: String::new(), ..c };
        assert_eq!(check(&no_gek, true, false), Err(IdentityError::GekRequired("p1".into())));
    }
}
