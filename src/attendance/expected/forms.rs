//! Which printed forms an exam's scans must bring back (issue 17 item 2), as a pure table per
//! exam format: `required_forms(exam)`. Every form the box prints carries a sheet code on each
//! page; the printed-forms record ([`PrintedForm`]) says which numbers each form's pages took,
//! and [`judge_forms`] decides from the table which of them completeness requires and which
//! required forms were never printed. A form not in the table is printed with codes and
//! matched when scanned, but never missing.

use serde::{Deserialize, Serialize};

#[cfg(test)]
use crate::model::ExamKind;
use crate::model::{Exam, Technology};

/// How many copies of a form an exam point fills: one, one per auditorium, or one per
/// participant with an event (the acts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FormScope {
    Point,
    Auditorium,
    Participant,
}

/// When completeness asks for a form's scans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FormCondition {
    /// Every copy is printed and scanned; once the exam's forms are printed, a copy never
    /// printed is named as missing too.
    Always,
    /// Only when a public observer is accredited for the point that day (ППЭ-18-МАШ).
    IfObserver,
    /// Every page of a printed copy; nothing when none was printed (acts, which exist only
    /// after their event; forms the box prints only for some exams).
    IfPrinted,
    /// Matched when scanned, never missing (lists posted at the doors, the envelope cover).
    Optional,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormRequirement {
    pub form: &'static str,
    pub scope: FormScope,
    pub condition: FormCondition,
}

/// How an exam is held, as far as its paperwork goes (DOMAIN.md §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExamFormat {
    /// ЕГЭ, ОГЭ, ГВЭ written, итоговое сочинение: КИМ and blanks in the auditorium.
    Written,
    /// ЕГЭ ИЯ «Говорение», oral ГВЭ: preparation and recording rooms.
    Oral,
    /// КЕГЭ: a workstation per participant.
    Computer,
    /// ИС-9: one participant at a time with a собеседник and an эксперт.
    Interview,
}

/// The format follows the exam's technology (`Exam::technology`): ИС-9 and the other
/// interviews with a собеседник, a recorded oral part, computers, or paper.
pub fn exam_format(exam: &Exam) -> ExamFormat {
    match exam.technology() {
        Technology::OralInterview => ExamFormat::Interview,
        Technology::OralRecorded => ExamFormat::Oral,
        Technology::Computer => ExamFormat::Computer,
        Technology::Written => ExamFormat::Written,
    }
}

const fn req(form: &'static str, scope: FormScope, condition: FormCondition) -> FormRequirement {
    FormRequirement { form, scope, condition }
}

use FormCondition::*;
use FormScope::*;

/// Forms of every exam held in an exam point.
const COMMON: &[FormRequirement] = &[
    req("ППЭ-07", Point, Always),
    req("ППЭ-18-МАШ", Point, IfObserver),
    req("ППЭ-12-04-МАШ", Auditorium, Always),
    req("ППЭ-12-02", Auditorium, IfPrinted),
    req("ППЭ-14-01", Point, IfPrinted),
    req("ППЭ-10", Point, IfPrinted),
    req("ППЭ-08", Point, IfPrinted),
    req("ППЭ-19", Point, Optional),
    req("ППЭ-05-01", Auditorium, Optional),
    req("ППЭ-06-01", Point, Optional),
    req("ППЭ-06-02", Point, Optional),
    req("ППЭ-11", Auditorium, Optional),
    req("ППЭ-02", Participant, IfPrinted),
    req("ППЭ-03", Participant, IfPrinted),
    req("ППЭ-20", Participant, IfPrinted),
    req("ППЭ-21", Participant, IfPrinted),
    req("ППЭ-22", Participant, IfPrinted),
];

const WRITTEN: &[FormRequirement] = &[req("ППЭ-05-02", Auditorium, Always), req("ППЭ-13-02-МАШ", Point, Always), req("ППЭ-14-02", Point, Always)];

/// The oral part's own forms are required once the box prints them; no written protocol
/// (05-02) or -МАШ summary.
const ORAL: &[FormRequirement] = &[
    req("ППЭ-05-03-У", Auditorium, IfPrinted),
    req("ППЭ-05-04-У", Auditorium, IfPrinted),
    req("ППЭ-13-03-У", Point, IfPrinted),
    req("ППЭ-14-02", Point, Always),
];

/// ИС-9: the ведомость учёта проведения and the expert's protocols of each conducting room,
/// required once the box prints them.
const INTERVIEW: &[FormRequirement] = &[req("ИС-02", Auditorium, IfPrinted), req("ИС-03", Auditorium, IfPrinted)];

/// КЕГЭ: its summary and materials record replace the written ones (13-02-МАШ, 14-02).
const COMPUTER: &[FormRequirement] =
    &[req("ППЭ-05-02", Auditorium, Always), req("ППЭ-13-03-К", Point, IfPrinted), req("ППЭ-14-02-К", Point, IfPrinted)];

/// The forms an exam's scans must bring back, by its format, and only among those its
/// technology prints (`TechnologyProfile::forms`): a form never printed for the exam is never
/// required. ИС-9 is held at schools with its own statements: nothing of the exam point's
/// collection is asked for, only acts.
pub fn required_forms(exam: &Exam) -> Vec<FormRequirement> {
    let profile = exam.technology().profile();
    let table: Vec<FormRequirement> = match exam_format(exam) {
        ExamFormat::Written => WRITTEN.iter().chain(COMMON).copied().collect(),
        ExamFormat::Oral => ORAL.iter().chain(COMMON).copied().collect(),
        ExamFormat::Computer => COMPUTER.iter().chain(COMMON).copied().collect(),
        ExamFormat::Interview => INTERVIEW.iter().chain(COMMON.iter().filter(|r| r.scope == Participant)).copied().collect(),
    };
    table.into_iter().filter(|r| profile.prints(r.form)).collect()
}

/// One printed copy of a form: which sheet numbers its pages took (page `i` from 1 carries
/// `numbers[i - 1]`), and whether completeness requires them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrintedForm {
    pub form: String,
    #[serde(default)]
    pub auditorium: Option<String>,
    #[serde(default)]
    pub participant_id: Option<String>,
    pub numbers: Vec<u32>,
    #[serde(default)]
    pub required: bool,
}

/// Where a scanned page of a form belongs: the form, its copy and its page «лист N из M».
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormPage {
    pub form: String,
    pub auditorium: Option<String>,
    pub participant_id: Option<String>,
    pub page: u32,
    pub pages: u32,
}

impl FormPage {
    /// `ППЭ-05-02, аудитория 101, лист 2 из 2` (an act names its participant).
    pub fn place_ru(&self) -> String {
        let mut text = copy_ru(&self.form, self.auditorium.as_deref(), self.participant_id.as_deref());
        text.push_str(&format!(", лист {} из {}", self.page, self.pages));
        text
    }
}

fn copy_ru(form: &str, auditorium: Option<&str>, participant_id: Option<&str>) -> String {
    match (participant_id, auditorium) {
        (Some(p), _) => format!("{form}, участник {p}"),
        (None, Some(a)) => format!("{form}, аудитория {a}"),
        (None, None) => form.to_string(),
    }
}

impl PrintedForm {
    pub fn page_of(&self, number: u32) -> Option<FormPage> {
        let i = self.numbers.iter().position(|n| *n == number)?;
        Some(FormPage {
            form: self.form.clone(),
            auditorium: self.auditorium.clone(),
            participant_id: self.participant_id.clone(),
            page: i as u32 + 1,
            pages: self.numbers.len() as u32,
        })
    }
}

/// A required form with no printed copy: «ППЭ-05-02, аудитория 101».
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnprintedForm {
    pub form: String,
    pub auditorium: Option<String>,
}

impl UnprintedForm {
    pub fn place_ru(&self) -> String {
        copy_ru(&self.form, self.auditorium.as_deref(), None)
    }
}

/// Sets `required` on each printed copy from the table and lists the required copies never
/// printed. Nothing is missing before the exam's forms are printed at all (a box that prints
/// only kits is checked on its kits, as before forms carried codes).
pub fn judge_forms(requirements: &[FormRequirement], printed: &mut [PrintedForm], auditoriums: &[String], observer: bool) -> Vec<UnprintedForm> {
    let applies = |c: FormCondition| match c {
        Always | IfPrinted => true,
        IfObserver => observer,
        Optional => false,
    };
    for p in printed.iter_mut() {
        p.required = requirements.iter().find(|r| r.form == p.form).is_some_and(|r| applies(r.condition));
    }
    let mut unprinted = Vec::new();
    if printed.is_empty() {
        return unprinted;
    }
    let has = |form: &str, auditorium: Option<&str>| {
        printed.iter().any(|p| p.form == form && (auditorium.is_none() || p.auditorium.as_deref() == auditorium))
    };
    for r in requirements.iter().filter(|r| r.condition == Always || (r.condition == IfObserver && observer)) {
        match r.scope {
            Point if !has(r.form, None) => unprinted.push(UnprintedForm { form: r.form.into(), auditorium: None }),
            Auditorium => {
                for a in auditoriums.iter().filter(|a| !has(r.form, Some(a))) {
                    unprinted.push(UnprintedForm { form: r.form.into(), auditorium: Some(a.clone()) });
                }
            }
            _ => {}
        }
    }
    unprinted
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exam(kind: ExamKind, subject_code: &str, subject_name: &str) -> Exam {
        let mut e = crate::model::tests::sample_exam();
        e.kind = kind;
        e.subject_code = subject_code.into();
        e.subject_name = subject_name.into();
        e
    }

    fn condition(exam: &Exam, form: &str) -> Option<(FormScope, FormCondition)> {
        required_forms(exam).into_iter().find(|r| r.form == form).map(|r| (r.scope, r.condition))
    }

    #[test]
    fn a_written_ege_requires_its_protocols_logs_summary_and_materials_record() {
        let e = exam(ExamKind::Ege, "02", "Математика профильная");
        assert_eq!(exam_format(&e), ExamFormat::Written);
        assert_eq!(condition(&e, "ППЭ-05-02"), Some((Auditorium, Always)));
        assert_eq!(condition(&e, "ППЭ-12-04-МАШ"), Some((Auditorium, Always)));
        assert_eq!(condition(&e, "ППЭ-13-02-МАШ"), Some((Point, Always)));
        assert_eq!(condition(&e, "ППЭ-14-02"), Some((Point, Always)));
        assert_eq!(condition(&e, "ППЭ-07"), Some((Point, Always)));
        assert_eq!(condition(&e, "ППЭ-18-МАШ"), Some((Point, IfObserver)));
        assert_eq!(condition(&e, "ППЭ-21"), Some((Participant, IfPrinted)));
        assert_eq!(condition(&e, "ППЭ-05-01"), Some((Auditorium, Optional)), "posted at the door, not scanned back");
        let forms: Vec<&str> = required_forms(&e).iter().map(|r| r.form).collect();
        let mut unique = forms.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), forms.len(), "each form once: {forms:?}");
    }

    #[test]
    fn oral_computer_and_interview_exams_have_their_own_forms() {
        let oral = exam(ExamKind::Ege, "29", "Английский язык (устная часть)");
        assert_eq!(exam_format(&oral), ExamFormat::Oral);
        assert_eq!(condition(&oral, "ППЭ-05-03-У"), Some((Auditorium, IfPrinted)));
        assert_eq!(condition(&oral, "ППЭ-13-02-МАШ"), None, "the oral summary is 13-03-У");
        let kege = exam(ExamKind::Ege, "25", "Информатика (КЕГЭ)");
        assert_eq!(exam_format(&kege), ExamFormat::Computer);
        assert_eq!(condition(&kege, "ППЭ-14-02-К"), Some((Point, IfPrinted)));
        let is9 = exam(ExamKind::Interview, "70", "Итоговое собеседование");
        assert_eq!(exam_format(&is9), ExamFormat::Interview);
        assert!(required_forms(&is9).iter().all(|r| r.condition == IfPrinted), "ИС-9: its own statements and the acts, once printed");
    }

    #[test]
    fn a_form_its_technology_never_prints_is_never_required() {
        let oral = exam(ExamKind::Ege, "29", "Английский язык (устная часть)");
        assert_eq!(condition(&oral, "ППЭ-05-02"), None, "«Говорение» has no written protocol");
        assert_eq!(condition(&oral, "ППЭ-12-04-МАШ"), None);
        assert_eq!(condition(&oral, "ППЭ-14-02"), Some((Point, Always)), "but the materials record");
        let kege = exam(ExamKind::Ege, "25", "Информатика (КЕГЭ)");
        assert_eq!(condition(&kege, "ППЭ-13-02-МАШ"), None, "13-03-К in its place");
        assert_eq!(condition(&kege, "ППЭ-14-02"), None, "14-02-К in its place");
        assert_eq!(condition(&kege, "ППЭ-05-02"), Some((Auditorium, Always)));
        let is9 = exam(ExamKind::Interview, "70", "Итоговое собеседование");
        assert_eq!(condition(&is9, "ИС-02"), Some((Auditorium, IfPrinted)));
        // The plan's technology column decides: informatics on paper is a written exam.
        let paper = Exam { technology: Some(Technology::Written), ..kege.clone() };
        assert_eq!(exam_format(&paper), ExamFormat::Written);
        assert_eq!(condition(&paper, "ППЭ-13-02-МАШ"), Some((Point, Always)));
        for e in [oral, kege, is9, paper] {
            let profile = e.technology().profile();
            assert!(required_forms(&e).iter().all(|r| profile.prints(r.form)), "{}: every required form is printed", e.subject_name);
        }
    }

    fn printed(form: &str, auditorium: Option<&str>, numbers: &[u32]) -> PrintedForm {
        PrintedForm {
            form: form.into(),
            auditorium: auditorium.map(str::to_string),
            participant_id: None,
            numbers: numbers.to_vec(),
            required: false,
        }
    }

    #[test]
    fn printed_copies_are_required_by_the_table_and_required_copies_never_printed_are_named() {
        let e = exam(ExamKind::Ege, "02", "Математика профильная");
        let rooms = vec!["101".to_string(), "102".to_string()];
        let mut forms = vec![
            printed("ППЭ-05-02", Some("101"), &[1, 2]),
            printed("ППЭ-12-04-МАШ", Some("101"), &[3]),
            printed("ППЭ-12-04-МАШ", Some("102"), &[4]),
            printed("ППЭ-13-02-МАШ", None, &[5]),
            printed("ППЭ-14-02", None, &[6]),
            printed("ППЭ-07", None, &[7]),
            printed("ППЭ-18-МАШ", None, &[8]),
            printed("ППЭ-05-01", Some("101"), &[9]),
            printed("ППЭ-99", None, &[10]),
        ];
        let missing = judge_forms(&required_forms(&e), &mut forms, &rooms, false);
        assert_eq!(missing, vec![UnprintedForm { form: "ППЭ-05-02".into(), auditorium: Some("102".into()) }]);
        assert_eq!(missing[0].place_ru(), "ППЭ-05-02, аудитория 102");
        let required: Vec<&str> = forms.iter().filter(|f| f.required).map(|f| f.form.as_str()).collect();
        assert_eq!(
            required,
            ["ППЭ-05-02", "ППЭ-12-04-МАШ", "ППЭ-12-04-МАШ", "ППЭ-13-02-МАШ", "ППЭ-14-02", "ППЭ-07"],
            "no observer: 18-МАШ optional; 05-01 and unknown forms never required"
        );
        assert!(judge_forms(&required_forms(&e), &mut forms, &rooms, true).len() == 1);
        assert!(forms.iter().find(|f| f.form == "ППЭ-18-МАШ").unwrap().required, "an observer came: their act is required");
        let mut without_act = forms.iter().filter(|f| f.form != "ППЭ-18-МАШ").cloned().collect::<Vec<_>>();
        let missing = judge_forms(&required_forms(&e), &mut without_act, &rooms, true);
        assert!(missing.iter().any(|m| m.form == "ППЭ-18-МАШ" && m.auditorium.is_none()), "{missing:?}");
        assert_eq!(forms[0].page_of(2).unwrap().place_ru(), "ППЭ-05-02, аудитория 101, лист 2 из 2");
        assert_eq!(forms[3].page_of(5).unwrap().place_ru(), "ППЭ-13-02-МАШ, лист 1 из 1");
        assert_eq!(forms[0].page_of(5), None);
    }

    #[test]
    fn nothing_is_missing_before_any_form_is_printed() {
        let e = exam(ExamKind::Ege, "02", "Математика профильная");
        assert!(judge_forms(&required_forms(&e), &mut [], &["101".to_string()], true).is_empty());
    }
}
