//! The ИС-9 criteria as data (issue 18 item 3): the tasks with their criteria and maximum
//! points, the зачёт threshold (10 of 20 in the current version) and the lower thresholds of
//! ОВЗ participants; and the expert's protocol of one participant checked against them — every
//! criterion given, none above its maximum, the total, зачёт or незачёт. Pure.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::HealthCategory;

/// One criterion of a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Criterion {
    /// The code printed on the expert's protocol (`ИЧ`, `П1`, `Г12`).
    pub code: &'static str,
    pub title: &'static str,
    pub max: u8,
}

/// A task, or the speech-correctness block that scores two tasks together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Task {
    pub title: &'static str,
    pub criteria: &'static [Criterion],
}

/// A version of the criteria.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Scale {
    pub version: &'static str,
    pub tasks: &'static [Task],
    /// Points for зачёт.
    pub pass_points: u8,
    /// Lower thresholds for participants with ОВЗ, children with disabilities and disabled
    /// participants (the region applies them by category).
    pub lower_pass_points: &'static [(HealthCategory, u8)],
}

const fn c(code: &'static str, title: &'static str, max: u8) -> Criterion {
    Criterion { code, title, max }
}

/// The criteria in force (ФИПИ, итоговое собеседование по русскому языку, 20 points).
pub const CURRENT: Scale = Scale {
    version: "ИС-9 (20 баллов)",
    tasks: &[
        Task {
            title: "Задание 1. Чтение текста вслух", criteria: &[c("ИЧ", "интонация", 1), c("ТЧ", "темп чтения", 1)]
        },
        Task {
            title: "Задание 2. Пересказ текста с включением высказывания",
            criteria: &[
                c("П1", "сохранение микротем текста", 2),
                c("П2", "фактологическая точность", 1),
                c("П3", "работа с высказыванием", 1),
                c("П4", "способы цитирования", 1),
            ],
        },
        Task {
            title: "Правильность речи (задания 1 и 2)",
            criteria: &[
                c("Г12", "грамматические нормы", 1),
                c("О12", "орфоэпические нормы", 1),
                c("Р12", "речевые нормы", 1),
                c("Иск", "искажения слов", 1),
            ],
        },
        Task {
            title: "Задание 3. Монологическое высказывание",
            criteria: &[
                c("М1", "выполнение коммуникативной задачи", 1),
                c("М2", "учёт условий речевой ситуации", 1),
                c("М3", "речевое оформление", 1),
            ],
        },
        Task {
            title: "Задание 4. Диалог", criteria: &[c("Д1", "ответы на вопросы", 1), c("Д2", "учёт условий речевой ситуации", 1)]
        },
        Task {
            title: "Правильность речи (задания 3 и 4)",
            criteria: &[
                c("Г34", "грамматические нормы", 1),
                c("О34", "орфоэпические нормы", 1),
                c("Р34", "речевые нормы", 1),
                c("РО", "речевое оформление", 1),
            ],
        },
    ],
    pass_points: 10,
    lower_pass_points: &[(HealthCategory::Ovz, 5), (HealthCategory::DisabledChild, 5), (HealthCategory::Disabled, 5)],
};

impl Scale {
    pub fn criteria(&self) -> impl Iterator<Item = &Criterion> {
        self.tasks.iter().flat_map(|t| t.criteria.iter())
    }
    pub fn max_points(&self) -> u32 {
        self.criteria().map(|c| u32::from(c.max)).sum()
    }
    /// Points for зачёт of a participant of this health category.
    pub fn pass_points_for(&self, health: HealthCategory) -> u8 {
        self.lower_pass_points.iter().find(|(h, _)| *h == health).map_or(self.pass_points, |(_, p)| *p)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScoreError {
    #[error("критерий «{0}» не входит в критерии оценивания ИС-9")]
    UnknownCriterion(String),
    #[error("критерий «{code}»: {points} баллов, больше максимума {max}")]
    AboveMax { code: String, points: u8, max: u8 },
    #[error("не оценены критерии: {0}")]
    Missing(String),
    #[error("баллы: «{0}» — ожидается КОД=БАЛЛ через ; или , (например ИЧ=1;ТЧ=0)")]
    Syntax(String),
}

/// The expert's judgement of one participant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Score {
    /// Criterion code → points, every criterion of the scale.
    pub points: BTreeMap<String, u8>,
    pub total: u32,
    pub pass_points: u8,
    pub passed: bool,
}

impl Score {
    pub fn result_ru(&self) -> &'static str {
        if self.passed {
            "зачёт"
        } else {
            "незачёт"
        }
    }
}

/// Checks the points against the scale: every criterion given once, none above its maximum;
/// the total and зачёт by the participant's threshold.
pub fn score(scale: &Scale, points: &BTreeMap<String, u8>, health: HealthCategory) -> Result<Score, ScoreError> {
    for (code, &p) in points {
        let criterion = scale.criteria().find(|c| c.code == code).ok_or_else(|| ScoreError::UnknownCriterion(code.clone()))?;
        if p > criterion.max {
            return Err(ScoreError::AboveMax { code: code.clone(), points: p, max: criterion.max });
        }
    }
    let missing: Vec<&str> = scale.criteria().filter(|c| !points.contains_key(c.code)).map(|c| c.code).collect();
    if !missing.is_empty() {
        return Err(ScoreError::Missing(missing.join(", ")));
    }
    let total = points.values().map(|p| u32::from(*p)).sum();
    let pass_points = scale.pass_points_for(health);
    Ok(Score { points: points.clone(), total, pass_points, passed: total >= u32::from(pass_points) })
}

/// Reads `ИЧ=1;ТЧ=0;…` (`;`, `,` or spaces between pairs; codes case-insensitive).
pub fn parse_points(scale: &Scale, text: &str) -> Result<BTreeMap<String, u8>, ScoreError> {
    let mut out = BTreeMap::new();
    for pair in text.split([';', ',', ' ', '\n']).map(str::trim).filter(|p| !p.is_empty()) {
        let (code, value) = pair.split_once('=').ok_or_else(|| ScoreError::Syntax(pair.into()))?;
        let points: u8 = value.trim().parse().map_err(|_| ScoreError::Syntax(pair.into()))?;
        let code = code.trim();
        let known = scale.criteria().find(|c| c.code.to_lowercase() == code.to_lowercase()).map_or(code, |c| c.code);
        out.insert(known.to_string(), points);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(points: u8) -> BTreeMap<String, u8> {
        CURRENT.criteria().map(|c| (c.code.to_string(), points.min(c.max))).collect()
    }

    #[test]
    fn the_current_scale_has_20_points_and_zachet_from_10() {
        assert_eq!(CURRENT.max_points(), 20);
        assert_eq!(CURRENT.pass_points, 10);
        let codes: Vec<&str> = CURRENT.criteria().map(|c| c.code).collect();
        let unique: std::collections::BTreeSet<&str> = codes.iter().copied().collect();
        assert_eq!(codes.len(), unique.len(), "codes are unique");
        assert_eq!(CURRENT.pass_points_for(HealthCategory::None), 10);
        assert_eq!(CURRENT.pass_points_for(HealthCategory::Ovz), 5, "ОВЗ: the lower threshold");
    }

    #[test]
    fn zachet_at_the_threshold_nezachet_below() {
        let full = score(&CURRENT, &all(2), HealthCategory::None).unwrap();
        assert_eq!((full.total, full.passed, full.result_ru()), (20, true, "зачёт"));
        let mut ten = all(0);
        for code in ["ИЧ", "ТЧ", "П1", "П2", "П3", "П4", "Г12", "О12", "Р12"] {
            ten.insert(code.into(), CURRENT.criteria().find(|c| c.code == code).unwrap().max);
        }
        assert_eq!(score(&CURRENT, &ten, HealthCategory::None).unwrap().total, 10);
        assert!(score(&CURRENT, &ten, HealthCategory::None).unwrap().passed);
        ten.insert("Р12".into(), 0);
        let nine = score(&CURRENT, &ten, HealthCategory::None).unwrap();
        assert_eq!((nine.total, nine.passed, nine.result_ru()), (9, false, "незачёт"));
        assert!(score(&CURRENT, &ten, HealthCategory::Ovz).unwrap().passed, "9 is зачёт with the ОВЗ threshold of 5");
    }

    #[test]
    fn a_bad_protocol_is_refused_with_the_criterion_named() {
        let mut p = all(1);
        p.insert("П1".into(), 3);
        assert_eq!(score(&CURRENT, &p, HealthCategory::None), Err(ScoreError::AboveMax { code: "П1".into(), points: 3, max: 2 }));
        let mut p = all(1);
        p.remove("Д2");
        assert_eq!(score(&CURRENT, &p, HealthCategory::None), Err(ScoreError::Missing("Д2".into())));
        let mut p = all(1);
        p.insert("Х9".into(), 0);
        assert_eq!(score(&CURRENT, &p, HealthCategory::None), Err(ScoreError::UnknownCriterion("Х9".into())));
    }

    #[test]
    fn points_parse_from_the_command_line() {
        let p = parse_points(&CURRENT, "ич=1; ТЧ=0, П1=2").unwrap();
        assert_eq!(p.get("ИЧ"), Some(&1));
        assert_eq!(p.get("ТЧ"), Some(&0));
        assert_eq!(p.get("П1"), Some(&2));
        assert!(matches!(parse_points(&CURRENT, "ИЧ:1"), Err(ScoreError::Syntax(_))));
        assert!(matches!(parse_points(&CURRENT, "ИЧ=много"), Err(ScoreError::Syntax(_))));
    }
}
