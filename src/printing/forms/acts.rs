//! The acts about one participant, laid out after the collection's forms: ППЭ-20 (identity
//! confirmed by the accompanying person), ППЭ-21 (removal) and ППЭ-22 (early finish for a valid
//! reason, with the medical worker's conclusion). Each is one page with the point/room/exam
//! header, numbered sections, the participant's data wrapped (never cut), the signers' boxes
//! and a sheet code, so the scan is matched to the act.

use super::*;
use crate::printing::pdf::{leading_mm, wrap_lines};

/// ППЭ-21 (removal) and ППЭ-22 (early finish): one participant, one event.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EventActInput {
    pub exam: ExamHeader,
    pub auditorium: String,
    pub seat: String,
    pub participant: PersonOnForm,
    /// Local time, `ЧЧ:ММ`.
    pub at: String,
    pub reason: String,
    /// Sheet numbers of the participant's kit, so scanning can link the act.
    pub kit_sheets: Vec<String>,
    /// The member of ГЭК who drew up the act (removal requires one).
    #[serde(default)]
    pub gek_member: String,
    /// The medical worker who confirmed an early finish (ППЭ-22).
    #[serde(default)]
    pub medical_worker: String,
    /// The head of the exam point that day (from the plan), signing the act.
    #[serde(default)]
    pub head: String,
    /// The number of the participant's valid registration sheet.
    #[serde(default)]
    pub registration: String,
    pub first_sheet: SheetId,
}

/// ППЭ-20: the identity of a participant who came without an identity document, confirmed by
/// the person accompanying them from their school.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct IdentityActInput {
    pub exam: ExamHeader,
    /// Where the participant sits (empty when not seated here).
    pub auditorium: String,
    pub seat: String,
    pub participant: PersonOnForm,
    /// `код — название` of the participant's school (empty for graduates of past years).
    pub school: String,
    pub class: String,
    pub escort_name: String,
    pub escort_document: String,
    /// Local time of the confirmation, `ЧЧ:ММ`.
    pub at: String,
    #[serde(default)]
    pub gek_member: String,
    #[serde(default)]
    pub head: String,
    pub first_sheet: SheetId,
}

fn section(page: &mut Page, top: f32, title: &str) -> Result<f32, PrintingError> {
    page.wrapped(LEFT, top + 3.0, WIDTH, 9.5, true, Align::Left, title)
}

/// A box of `height` mm holding `text` (or lines to write on when empty); returns the `top` below.
fn text_box(page: &mut Page, top: f32, height: f32, text: &str) -> Result<f32, PrintingError> {
    let lines = wrap_lines(text, WIDTH - 4.0, VALUE_SIZE, false).len() as f32;
    let height = height.max(lines * leading_mm(VALUE_SIZE) + 4.0);
    page.frame(LEFT, top, WIDTH, height, 0.6);
    if text.trim().is_empty() {
        let mut t = top + 8.0;
        while t < top + height - 1.0 {
            page.line(LEFT + 2.0, t, LEFT + WIDTH - 2.0, t, 0.3);
            t += 7.0;
        }
    } else {
        page.paragraph(LEFT + 2.0, top + 5.5, WIDTH - 4.0, VALUE_SIZE, text)?;
    }
    Ok(top + height + 2.0)
}

/// A check box with its label (the organizer ticks it on the form).
fn check(page: &mut Page, top: f32, label: &str) -> Result<f32, PrintingError> {
    page.frame(LEFT, top, 5.0, 5.0, 0.6);
    page.wrapped(LEFT + 8.0, top + 4.0, WIDTH - 8.0, 9.0, false, Align::Left, label).map(|t| t + 2.0)
}

/// The header of an act: its code block, form, title, exam, point and room; returns where the
/// body starts.
fn act_header(
    page: &mut Page,
    form: &str,
    title: &str,
    exam: &ExamHeader,
    room: &str,
    first: &SheetId,
    key: &hmac::Key,
) -> Result<f32, PrintingError> {
    machine_marks(page, first, key)?;
    let width = CODE_X - LEFT - 4.0;
    page.text(LEFT, 20.0, 8.0, true, form)?;
    let mut top = page.wrapped(LEFT, 27.0, width, 13.0, true, Align::Left, title)? + 1.0;
    top = page.wrapped(LEFT, top, width, 9.0, false, Align::Left, &exam.line())?;
    top = page.wrapped(LEFT, top, width, 9.0, false, Align::Left, room)?;
    Ok(top.max(CODE_TOP_BELOW) + 2.0)
}

/// Below the code block and its number.
const CODE_TOP_BELOW: f32 = 48.0;

fn room_line(auditorium: &str, seat: &str) -> String {
    match (auditorium.is_empty(), seat.is_empty()) {
        (true, _) => "Аудитория: не назначена".into(),
        (false, true) => format!("Аудитория № {auditorium}"),
        (false, false) => format!("Аудитория № {auditorium} · место {seat}"),
    }
}

fn signatures(page: &mut Page, top: f32, signers: &[(&str, &str)]) -> Result<f32, PrintingError> {
    let mut top = top + 2.0;
    for (role, name) in signers {
        top = page.signature(LEFT, top, role, name)? + 1.0;
    }
    Ok(top)
}

fn participant_section(page: &mut Page, top: f32, input: &EventActInput, time_label: &str) -> Result<f32, PrintingError> {
    let top = section(page, top, "1. Сведения об участнике экзамена")?;
    let top = wrapped_field(page, LEFT, top + 2.0, WIDTH, "Фамилия, имя, отчество", &input.participant.full_name())?;
    field_row(
        page,
        top,
        &[
            (40.0, "Документ (серия, номер)", &input.participant.document),
            (20.0, "Аудитория", &input.auditorium),
            (14.0, "Место", &input.seat),
            (26.0, "Номер БР", &input.registration),
            (24.0, time_label, &input.at),
        ],
    )
}

fn finish_act(mut doc: Document, mut page: Page, form: &str, title: &str, auditorium: &str) -> Result<PrintDocument, PrintingError> {
    page_number(&mut page, form, 1, 1)?;
    doc.push(page);
    let room = (!auditorium.is_empty()).then_some(auditorium);
    Ok(finish(doc, form, &format!("{form} {title}"), room))
}

/// ППЭ-21: removal of a participant for a violation of the procedure.
pub fn removal_act_pdf(input: &EventActInput, key: &hmac::Key) -> Result<PrintDocument, PrintingError> {
    let (form, title) = ("ППЭ-21", "Акт об удалении участника экзамена из ППЭ");
    let doc = Document::new(form)?;
    let mut page = doc.page();
    let top = act_header(&mut page, form, title, &input.exam, &room_line(&input.auditorium, &input.seat), &input.first_sheet, key)?;
    let top = participant_section(&mut page, top, input, "Время удаления")?;
    let top = section(&mut page, top, "2. Нарушение порядка проведения экзамена (что нарушено, при каких обстоятельствах)")?;
    let top = text_box(&mut page, top + 2.0, 30.0, &input.reason)?;
    let top = section(&mut page, top, "3. Отметки")?;
    let top = check(&mut page, top + 2.0, "В бланке регистрации участника поставлена отметка «Удалён с экзамена»")?;
    let top = page.wrapped(LEFT, top + 3.0, WIDTH, 8.0, false, Align::Left, &format!("Бланки участника: {}", input.kit_sheets.join("; ")))?;
    signatures(
        &mut page,
        top,
        &[
            ("Член ГЭК, составивший акт", &input.gek_member),
            ("Руководитель ППЭ", &input.head),
            ("Организатор в аудитории", ""),
            ("С актом ознакомлен(а), участник экзамена", &input.participant.full_name()),
        ],
    )?;
    finish_act(doc, page, form, title, &input.auditorium)
}

/// ППЭ-22: an early finish for health or another valid reason, with the medical worker's
/// conclusion.
pub fn early_finish_act_pdf(input: &EventActInput, key: &hmac::Key) -> Result<PrintDocument, PrintingError> {
    let (form, title) = ("ППЭ-22", "Акт о досрочном завершении экзамена по объективным причинам");
    let doc = Document::new(form)?;
    let mut page = doc.page();
    let top = act_header(&mut page, form, title, &input.exam, &room_line(&input.auditorium, &input.seat), &input.first_sheet, key)?;
    let top = participant_section(&mut page, top, input, "Время завершения")?;
    let top = section(&mut page, top, "2. Причина досрочного завершения (состояние здоровья или иные объективные причины)")?;
    let top = text_box(&mut page, top + 2.0, 12.0, &input.reason)?;
    let top = section(&mut page, top, "3. Заключение медицинского работника")?;
    let top = text_box(&mut page, top + 2.0, 16.0, "")?;
    let top = section(&mut page, top, "4. Отметки")?;
    let top = check(&mut page, top + 2.0, "В бланке регистрации поставлена отметка «Не закончил экзамен по уважительной причине»")?;
    let top = page.wrapped(LEFT, top + 1.0, WIDTH, 8.0, false, Align::Left, &format!("Бланки участника: {}", input.kit_sheets.join("; ")))?;
    signatures(
        &mut page,
        top,
        &[
            ("Медицинский работник", &input.medical_worker),
            ("Член ГЭК", &input.gek_member),
            ("Руководитель ППЭ", &input.head),
            ("Организатор в аудитории", ""),
            ("Участник экзамена", &input.participant.full_name()),
        ],
    )?;
    finish_act(doc, page, form, title, &input.auditorium)
}

/// ППЭ-20: the identity act of a participant without an identity document.
pub fn identity_act_pdf(input: &IdentityActInput, key: &hmac::Key) -> Result<PrintDocument, PrintingError> {
    let (form, title) = ("ППЭ-20", "Акт об идентификации личности участника экзамена");
    let doc = Document::new(form)?;
    let mut page = doc.page();
    let top = act_header(&mut page, form, title, &input.exam, &room_line(&input.auditorium, &input.seat), &input.first_sheet, key)?;
    let top = section(&mut page, top, "1. Сведения об участнике экзамена")?;
    let top = wrapped_field(&mut page, LEFT, top + 2.0, WIDTH, "Фамилия, имя, отчество", &input.participant.full_name())?;
    let top = field_row(&mut page, top, &[(90.0, "Образовательная организация (код, наименование)", &input.school), (22.0, "Класс", &input.class)])?;
    let top = check(&mut page, top, "Документ, удостоверяющий личность, у участника отсутствует")?;
    let top = section(&mut page, top, "2. Личность участника подтверждена сопровождающим")?;
    let top = wrapped_field(&mut page, LEFT, top + 2.0, WIDTH, "Фамилия, имя, отчество сопровождающего", &input.escort_name)?;
    let top = field_row(
        &mut page,
        top,
        &[(82.0, "Документ сопровождающего (вид, серия, номер)", &input.escort_document), (30.0, "Время (местное), ЧЧ:ММ", &input.at)],
    )?;
    let top = page.wrapped(
        LEFT,
        top + 2.0,
        WIDTH,
        9.0,
        false,
        Align::Left,
        "Сопровождающий подтверждает, что предъявивший себя участник экзамена — названное выше лицо, зарегистрированное на экзамен.",
    )?;
    signatures(
        &mut page,
        top,
        &[
            ("Сопровождающий", &input.escort_name),
            ("Участник экзамена", &input.participant.full_name()),
            ("Член ГЭК", &input.gek_member),
            ("Руководитель ППЭ", &input.head),
        ],
    )?;
    finish_act(doc, page, form, title, &input.auditorium)
}
