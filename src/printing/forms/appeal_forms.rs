//! The appeal about the procedure (ППЭ-02) and the protocol of its review by the ГЭК member
//! (ППЭ-03), one page each per appeal, filled from the appeal's record (`appeals`): who, when,
//! the participant's words, the findings and the conclusion; the conflict commission's part is
//! left for it to fill. Each page carries the form's sheet code when one was reserved.

use super::*;

/// What ППЭ-03 says about the check, once the ГЭК member recorded it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AppealReviewOnForm {
    /// Local time, `ЧЧ:ММ`.
    pub reviewed_at: String,
    pub gek_member: String,
    pub findings: String,
    pub upheld: bool,
}

/// One appeal (ППЭ-02) with its review (ППЭ-03) when there is one.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AppealFormInput {
    pub exam: ExamHeader,
    pub appeal_number: i64,
    pub auditorium: String,
    pub seat: String,
    pub participant: PersonOnForm,
    /// Local time, `ЧЧ:ММ`.
    pub filed_at: String,
    pub text: String,
    /// The ГЭК member who took the appeal.
    pub gek_member: String,
    pub review: Option<AppealReviewOnForm>,
    pub sheet: Option<SheetId>,
}

const WIDTH: f32 = 174.0;

/// The top of an appeal form: code block, form code, title, exam line, the place and the
/// participant. Returns the `top` below it.
fn appeal_top(page: &mut Page, input: &AppealFormInput, form: &str, title: &str, key: &hmac::Key) -> Result<f32, PrintingError> {
    let head_width = match &input.sheet {
        Some(sheet) => {
            machine_marks(page, sheet, key)?;
            CODE_X - LEFT - 4.0
        }
        None => WIDTH,
    };
    page.text(LEFT, 22.0, 8.0, true, form)?;
    let top = page.wrapped(LEFT, 29.0, head_width, 12.0, true, Align::Left, title)?;
    let top = page.wrapped(LEFT, top + 1.0, head_width, 9.0, false, Align::Left, &input.exam.line())?.max(50.0);
    field(page, LEFT, top, 28.0, "Код ППЭ", &input.exam.ppe_code)?;
    field(page, LEFT + 32.0, top, 28.0, "Аудитория", &input.auditorium)?;
    field(page, LEFT + 64.0, top, 20.0, "Место", &input.seat)?;
    field(page, LEFT + 88.0, top, 40.0, "Дата экзамена", &input.exam.date)?;
    field(page, LEFT + 132.0, top, 42.0, "Апелляция №", &input.appeal_number.to_string())?;
    let top = top + 14.0;
    field(page, LEFT, top, WIDTH, "Участник экзамена (фамилия, имя, отчество)", &input.participant.full_name())?;
    field(page, LEFT, top + 14.0, 90.0, "Документ, удостоверяющий личность", &input.participant.document)?;
    Ok(top + 30.0)
}

/// A framed box of text: the label above, the text wrapped inside (smaller when it is long, so
/// it stays whole), at least `min_height` mm. Returns the `top` below the box.
fn text_box(page: &mut Page, top: f32, label: &str, text: &str, min_height: f32) -> Result<f32, PrintingError> {
    page.text(LEFT, top, 8.0, false, label)?;
    let size = if text.chars().count() > 1500 { 7.0 } else { 10.0 };
    let bottom = page.paragraph(LEFT + 2.0, top + 7.0, WIDTH - 4.0, size, text)?;
    let height = (bottom - top - 1.0).max(min_height);
    page.frame(LEFT, top + 2.0, WIDTH, height, 0.6);
    Ok(top + 2.0 + height + 6.0)
}

fn check_box(page: &mut Page, x: f32, top: f32, checked: bool, label: &str) -> Result<(), PrintingError> {
    page.frame(x, top - 4.0, 5.0, 5.0, 0.6);
    if checked {
        page.line(x + 0.8, top - 3.2, x + 4.2, top + 0.2, 1.2);
        page.line(x + 4.2, top - 3.2, x + 0.8, top + 0.2, 1.2);
    }
    page.text(x + 7.0, top, 9.0, false, label)
}

fn conflict_commission(page: &mut Page, top: f32) -> Result<f32, PrintingError> {
    page.text(LEFT, top, 9.0, true, "Заполняется конфликтной комиссией")?;
    page.text(LEFT, top + 7.0, 9.0, false, "Дата поступления в конфликтную комиссию: ____.____.________")?;
    check_box(page, LEFT, top + 15.0, false, "апелляцию отклонить")?;
    check_box(page, LEFT + 70.0, top + 15.0, false, "апелляцию удовлетворить")?;
    page.signature(LEFT, top + 19.0, "Председатель конфликтной комиссии", "")
}

/// ППЭ-02: the participant's appeal about the procedure, as filed.
pub fn appeal_pdf(input: &AppealFormInput, key: &hmac::Key) -> Result<PrintDocument, PrintingError> {
    let mut doc = Document::new("ППЭ-02")?;
    let mut page = doc.page();
    let mut top = appeal_top(&mut page, input, "ППЭ-02", "Апелляция о нарушении установленного порядка проведения ГИА", key)?;
    top = page.paragraph(
        LEFT,
        top,
        WIDTH,
        9.0,
        "Прошу рассмотреть мою апелляцию о нарушении установленного порядка проведения экзамена. \
         Апелляция составлена в двух экземплярах: один передаётся в конфликтную комиссию, другой остаётся у участника.",
    )? + 3.0;
    top = text_box(&mut page, top, "Суть нарушения (со слов участника экзамена)", &input.text, 60.0)?;
    page.text(LEFT, top, 9.0, false, &format!("Апелляция подана {} в {} (местное время ППЭ)", input.exam.date, input.filed_at))?;
    top = page.signature(LEFT, top + 3.0, "Участник экзамена", &input.participant.full_name())? + 2.0;
    top = page.signature(LEFT, top, "Апелляцию принял член ГЭК", &input.gek_member)? + 6.0;
    conflict_commission(&mut page, top)?;
    page_number(&mut page, "ППЭ-02", 1, 1)?;
    doc.push(page);
    Ok(finish(doc, "ППЭ-02", &format!("ППЭ-02 апелляция № {}", input.appeal_number), Some(&input.auditorium)))
}

/// ППЭ-03: the ГЭК member's protocol of the check of an appeal; blank fields for a check not
/// yet recorded.
pub fn appeal_review_pdf(input: &AppealFormInput, key: &hmac::Key) -> Result<PrintDocument, PrintingError> {
    let mut doc = Document::new("ППЭ-03")?;
    let mut page = doc.page();
    let mut top = appeal_top(&mut page, input, "ППЭ-03", "Протокол рассмотрения апелляции о нарушении установленного порядка проведения ГИА", key)?;
    top = page.paragraph(
        LEFT,
        top,
        WIDTH,
        9.0,
        &format!("Апелляция подана {} в {}; приняла член ГЭК: {}", input.exam.date, input.filed_at, input.gek_member),
    )? + 3.0;
    let review = input.review.as_ref();
    let findings = review.map(|r| r.findings.as_str()).unwrap_or("");
    top =
        text_box(&mut page, top, "Заключение о результатах проверки изложенных в апелляции сведений (кто опрошен, что просмотрено)", findings, 55.0)?;
    page.text(LEFT, top, 9.0, true, "Результат проверки")?;
    check_box(&mut page, LEFT, top + 8.0, review.is_some_and(|r| r.upheld), "изложенные в апелляции факты подтвердились")?;
    check_box(&mut page, LEFT, top + 15.0, review.is_some_and(|r| !r.upheld), "изложенные в апелляции факты не подтвердились")?;
    let when = review
        .map(|r| format!("Проверка проведена {} в {}", input.exam.date, r.reviewed_at))
        .unwrap_or_else(|| "Проверка проведена ____.____.________ в ____ ч ____ мин".into());
    page.text(LEFT, top + 24.0, 9.0, false, &when)?;
    let member = review.map(|r| r.gek_member.as_str()).unwrap_or("");
    top = page.signature(LEFT, top + 27.0, "Член ГЭК", member)? + 2.0;
    top = page.signature(LEFT, top, "С результатами проверки ознакомлен(а), участник", &input.participant.full_name())? + 6.0;
    conflict_commission(&mut page, top)?;
    page_number(&mut page, "ППЭ-03", 1, 1)?;
    doc.push(page);
    Ok(finish(doc, "ППЭ-03", &format!("ППЭ-03 протокол рассмотрения апелляции № {}", input.appeal_number), Some(&input.auditorium)))
}
