//! ППЭ-11, the cover sheet of an auditorium's return envelope: the point, room and exam, the
//! participants by attendance, the sheets inside by kind (ДБО № 2 and spoiled sheets too) and
//! the signatures of those who packed and accepted it.

use super::statements::count_or_dash;
use super::*;

/// What the envelope holds and who sat, counted from the day's record.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct EnvelopeCounts {
    pub planned: u32,
    pub present: u32,
    pub absent: u32,
    pub removed: u32,
    pub early: u32,
    pub registration: u32,
    pub answers1: u32,
    /// Pages of answer sheet № 2 (`None` where the kit has none).
    pub answers2: Option<u32>,
    /// Additional answer sheets (`None` where the kit has no answer sheet № 2).
    pub additional: Option<u32>,
    /// Sheets of replaced (defective) kits.
    pub spoiled: u32,
    /// Kits of participants who did not come, returned unused.
    pub unused_kits: u32,
}

/// ППЭ-11 for one auditorium.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EnvelopeCoverInput {
    pub exam: ExamHeader,
    pub auditorium: String,
    /// The exam's kit as people read it.
    pub kit: String,
    pub counts: EnvelopeCounts,
    pub first_sheet: SheetId,
}

pub fn envelope_cover_pdf(input: &EnvelopeCoverInput, key: &hmac::Key) -> Result<PrintDocument, PrintingError> {
    let mut doc = Document::new("ППЭ-11")?;
    let c = &input.counts;
    let rows: Vec<(&str, String)> = vec![
        ("Бланки регистрации", c.registration.to_string()),
        ("Бланки ответов № 1", c.answers1.to_string()),
        ("Бланки ответов № 2 (листов)", count_or_dash(c.answers2)),
        ("Дополнительные бланки ответов № 2", count_or_dash(c.additional)),
        ("Испорченные бланки и бланки с типографским браком (замена комплекта)", c.spoiled.to_string()),
        ("Неиспользованные индивидуальные комплекты (участники не явились)", c.unused_kits.to_string()),
    ];
    Table {
        form: "ППЭ-11",
        heading: vec![
            "Сопроводительный бланк к материалам экзамена (возвратный доставочный пакет)".into(),
            input.exam.line(),
            format!("Аудитория № {} · индивидуальный комплект: {}", input.auditorium, input.kit),
        ],
        columns: vec![col("№ п/п", 10.0, Align::Right), col("Материалы в пакете", 124.0, Align::Left), col("Количество, шт.", 40.0, Align::Right)],
        rows: rows.into_iter().enumerate().map(|(i, (what, n))| vec![(i + 1).to_string(), what.to_string(), n]).collect(),
        footer: vec![format!(
            "Участники экзамена в аудитории: по списку {}, явились {}, не явились {}, удалены {}, не закончили по уважительной причине {}",
            c.planned, c.present, c.absent, c.removed, c.early
        )],
        signatures: vec![
            Signature::blank("Ответственный организатор в аудитории"),
            Signature::blank("Организатор в аудитории"),
            Signature::blank("Руководитель ППЭ (пакет принял)"),
        ],
        code: form_code(Some(&input.first_sheet), key),
        ..Default::default()
    }
    .render(&mut doc)?;
    Ok(finish(doc, "ППЭ-11", &format!("ППЭ-11 аудитория {}", input.auditorium), Some(&input.auditorium)))
}
