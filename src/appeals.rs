//! Appeals about the procedure (order 805 §§ 96–98; DOMAIN.md §2): a participant who thinks the
//! procedure was broken files an appeal at the exam point before leaving it (ППЭ-02), a ГЭК
//! member of the point takes it, checks it the same day and records the findings and whether
//! the facts were confirmed (ППЭ-03); both travel to РЦОИ in the upload bundle. The rules are
//! pure here; the SQL is in `appeals/store.rs`, the use cases in `appeals/ops.rs`.

pub mod cli;
pub mod ops;
pub mod store;

use serde::{Deserialize, Serialize};

use crate::attendance::Status;

/// An appeal about the procedure (ППЭ-02) and, once checked, its review (ППЭ-03).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Appeal {
    pub appeal_id: i64,
    pub exam_id: String,
    pub ppe_code: String,
    pub participant_id: String,
    /// RFC 3339, the box clock.
    pub filed_at: String,
    /// What the participant says was broken, in their words.
    pub text: String,
    /// The ГЭК member who took the appeal.
    pub gek_worker_id: String,
    pub actor: String,
    pub review: Option<Review>,
}

/// The check of an appeal by a ГЭК member (ППЭ-03).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    pub reviewed_at: String,
    pub gek_worker_id: String,
    /// What the check found (who was heard, what was seen on the video).
    pub findings: String,
    /// The facts of the appeal were confirmed («изложенные факты подтвердились»).
    pub upheld: bool,
    pub actor: String,
}

impl Review {
    pub fn conclusion_ru(&self) -> &'static str {
        if self.upheld {
            "изложенные в апелляции факты подтвердились"
        } else {
            "изложенные в апелляции факты не подтвердились"
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AppealError {
    #[error("апелляция: изложите суть нарушения порядка проведения")]
    NoText,
    #[error("участник {participant}: апелляцию подаёт участник, сдававший экзамен (статус «{status}»)")]
    DidNotSit { participant: String, status: &'static str },
    #[error("апелляция № {0}: уже рассмотрена")]
    AlreadyReviewed(i64),
    #[error("апелляция № {0}: укажите результаты проверки")]
    NoFindings(i64),
    #[error("апелляция № {appeal}: рассмотрение {reviewed_at} раньше подачи {filed_at}")]
    ReviewBeforeFiling { appeal: i64, reviewed_at: String, filed_at: String },
}

/// An appeal may be filed by a participant who sat the exam (present, removed or finished
/// early — the removed and the early ones too: they leave the point with their acts), with
/// what was broken written out. Pure.
pub fn check_filing(participant_id: &str, status: Status, text: &str) -> Result<(), AppealError> {
    if text.trim().is_empty() {
        return Err(AppealError::NoText);
    }
    if !status.sat() {
        return Err(AppealError::DidNotSit { participant: participant_id.into(), status: status.title_ru() });
    }
    Ok(())
}

/// An appeal is reviewed once, with findings, not before it was filed. Pure.
pub fn check_review(appeal: &Appeal, reviewed_at: &str, findings: &str) -> Result<(), AppealError> {
    if appeal.review.is_some() {
        return Err(AppealError::AlreadyReviewed(appeal.appeal_id));
    }
    if findings.trim().is_empty() {
        return Err(AppealError::NoFindings(appeal.appeal_id));
    }
    let at = |t: &str| chrono::DateTime::parse_from_rfc3339(t).ok();
    if let (Some(r), Some(f)) = (at(reviewed_at), at(&appeal.filed_at)) {
        if r < f {
            return Err(AppealError::ReviewBeforeFiling { appeal: appeal.appeal_id, reviewed_at: reviewed_at.into(), filed_at: appeal.filed_at.clone() });
        }
    }
    Ok(())
}

/// What the bundle carries for РЦОИ: every appeal of the exam at the point with its review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppealsRecord {
    pub form: String,
    pub exam_id: String,
    pub ppe_code: String,
    pub appeals: Vec<Appeal>,
}

impl AppealsRecord {
    pub const FILE_NAME: &'static str = "ppe-02-03.json";
    pub fn new(exam_id: &str, ppe_code: &str, appeals: Vec<Appeal>) -> Self {
        Self { form: "ППЭ-02/ППЭ-03".into(), exam_id: exam_id.into(), ppe_code: ppe_code.into(), appeals }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn appeal() -> Appeal {
        Appeal {
            appeal_id: 1,
            exam_id: "ege-02".into(),
            ppe_code: "0101".into(),
            participant_id: "P1".into(),
            filed_at: "2027-05-27T07:00:00Z".into(),
            text: "организатор громко разговаривал по телефону".into(),
            gek_worker_id: "W2".into(),
            actor: "gek".into(),
            review: None,
        }
    }

    #[test]
    fn an_appeal_is_filed_with_its_text_by_a_participant_who_sat() {
        assert_eq!(check_filing("P1", Status::Present, "шум в аудитории"), Ok(()));
        assert_eq!(check_filing("P1", Status::Removed, "удалён без оснований"), Ok(()));
        assert_eq!(check_filing("P1", Status::FinishedEarly, "не было медика"), Ok(()));
        assert_eq!(check_filing("P1", Status::Present, "  "), Err(AppealError::NoText));
        assert!(matches!(check_filing("P1", Status::Absent, "шум"), Err(AppealError::DidNotSit { .. })));
        assert!(matches!(check_filing("P1", Status::Unmarked, "шум"), Err(AppealError::DidNotSit { .. })));
    }

    #[test]
    fn a_review_is_once_with_findings_and_not_before_the_filing() {
        let a = appeal();
        assert_eq!(check_review(&a, "2027-05-27T08:00:00Z", "опрошены организаторы, просмотрена запись"), Ok(()));
        assert_eq!(check_review(&a, "2027-05-27T08:00:00Z", ""), Err(AppealError::NoFindings(1)));
        assert!(matches!(check_review(&a, "2027-05-27T06:00:00Z", "проверено"), Err(AppealError::ReviewBeforeFiling { .. })));
        let mut done = appeal();
        done.review = Some(Review { reviewed_at: "2027-05-27T08:00:00Z".into(), gek_worker_id: "W2".into(), findings: "x".into(), upheld: false, actor: "gek".into() });
        assert_eq!(check_review(&done, "2027-05-27T09:00:00Z", "ещё раз"), Err(AppealError::AlreadyReviewed(1)));
    }
}
