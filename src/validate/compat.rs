//! Plans written before a field became required: what is safe to take, said in a warning
//! that names the column, the value taken and that it is now required; what is not safe is
//! refused. допуск missing → «да» (every participant of an old plan was admitted); a point's
//! time zone missing → its exams' `utc_offset_min` when the file gives one, refused when not
//! (a Tomsk plan taken as Moscow would be four hours off).

use std::collections::{BTreeMap, BTreeSet};

use super::*;

/// How many point codes a warning lists before it says «и ещё N».
const LISTED: usize = 5;

/// The warning for a participants table of the old format (no `admitted` column).
pub(super) fn admitted_warning(table: &RawTable) -> Option<Issue> {
    if table.name != "participants" || table.columns.iter().any(|c| c == "admitted") {
        return None;
    }
    Some(issue(
        "participants",
        0,
        "admitted",
        format!(
            "столбца нет (план старого формата): всем {} участникам принят допуск к ГИА «да»; столбец admitted (да/нет) теперь обязателен",
            table.rows.len()
        ),
    ))
}

/// Gives every exam point without its own offset the offset of its exams, or refuses it.
pub(super) fn fill_point_offsets(p: &mut Located, issues: &mut Vec<Issue>, warnings: &mut Vec<Issue>) {
    let mut taken: BTreeMap<i32, Vec<String>> = BTreeMap::new();
    let all_exams: BTreeSet<i32> = p.exam_offsets.values().copied().collect();
    for i in 0..p.exam_points.len() {
        let (line, point) = &p.exam_points[i];
        if point.utc_offset_min.is_some() {
            continue;
        }
        let own: BTreeSet<i32> = p
            .registrations
            .iter()
            .filter(|(_, g)| g.ppe_code == point.ppe_code)
            .filter_map(|(_, g)| p.exam_offsets.get(&g.exam_id).copied())
            .collect();
        let has_exams = p.registrations.iter().any(|(_, g)| g.ppe_code == point.ppe_code);
        let offsets = if own.is_empty() && !has_exams { &all_exams } else { &own };
        let mut values = offsets.iter();
        match (values.next(), values.next()) {
            (Some(&offset), None) => {
                taken.entry(offset).or_default().push(point.ppe_code.clone());
                p.exam_points[i].1.utc_offset_min = Some(offset);
            }
            (Some(_), Some(_)) => issues.push(issue(
                "exam_points",
                *line,
                "utc_offset_min",
                format!(
                    "смещение ППЭ от UTC не указано, а экзамены указывают разные ({}): укажите часовой пояс ППЭ, мин",
                    offsets.iter().map(i32::to_string).collect::<Vec<_>>().join(", ")
                ),
            )),
            (None, _) => issues.push(issue(
                "exam_points",
                *line,
                "utc_offset_min",
                "обязательное поле не заполнено: смещение местного времени ППЭ от UTC, мин (Москва 180, Томск 420); в exams.utc_offset_min его тоже нет".into(),
            )),
        }
    }
    for (offset, codes) in taken {
        let more = codes.len().saturating_sub(LISTED);
        let listed = codes.iter().take(LISTED).cloned().collect::<Vec<_>>().join(", ");
        let tail = if more > 0 { format!(" и ещё {more}") } else { String::new() };
        warnings.push(issue(
            "exam_points",
            0,
            "utc_offset_min",
            format!(
                "не указано у {} ППЭ ({listed}{tail}): принято {offset} из exams.utc_offset_min (план старого формата); часовой пояс ППЭ теперь обязателен",
                codes.len()
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn located(points: &[(&str, Option<i32>)], exams: &[(&str, Option<i32>)], registrations: &[(&str, &str)]) -> Located {
        let mut p = Located::default();
        for (i, (code, offset)) in points.iter().enumerate() {
            let point = ExamPoint {
                ppe_code: code.to_string(),
                name: "ППЭ".into(),
                address: "адрес".into(),
                ate_code: "1".into(),
                ate_name: "АТЕ".into(),
                point_type: PointType::Ordinary,
                utc_offset_min: *offset,
            };
            p.exam_points.push((i + 3, point));
        }
        for (id, offset) in exams {
            if let Some(o) = offset {
                p.exam_offsets.insert(id.to_string(), *o);
            }
        }
        for (i, (exam, point)) in registrations.iter().enumerate() {
            p.registrations.push((i + 2, Registration { exam_id: exam.to_string(), participant_id: format!("P{i}"), ppe_code: point.to_string() }));
        }
        p
    }

    #[test]
    fn an_old_point_takes_its_exams_offset_with_a_warning() {
        let mut p = located(&[("0101", None), ("0102", Some(180))], &[("e1", Some(420))], &[("e1", "0101"), ("e1", "0102")]);
        let (mut issues, mut warnings) = (Vec::new(), Vec::new());
        fill_point_offsets(&mut p, &mut issues, &mut warnings);
        assert!(issues.is_empty(), "{issues:?}");
        assert_eq!(p.exam_points[0].1.utc_offset_min, Some(420));
        assert_eq!(p.exam_points[1].1.utc_offset_min, Some(180), "the point's own offset is kept");
        assert_eq!(warnings.len(), 1);
        let text = warnings[0].to_string();
        assert!(
            text.contains("utc_offset_min") && text.contains("0101") && text.contains("принято 420") && text.contains("теперь обязателен"),
            "{text}"
        );
    }

    #[test]
    fn a_point_without_any_offset_is_refused() {
        let mut p = located(&[("0101", None)], &[("e1", None)], &[("e1", "0101")]);
        let (mut issues, mut warnings) = (Vec::new(), Vec::new());
        fill_point_offsets(&mut p, &mut issues, &mut warnings);
        assert_eq!(issues.len(), 1, "{issues:?}");
        assert_eq!((issues[0].table.as_str(), issues[0].line, issues[0].column.as_str()), ("exam_points", 3, "utc_offset_min"));
        assert!(warnings.is_empty());
        assert_eq!(p.exam_points[0].1.utc_offset_min, None);
    }

    #[test]
    fn exams_disagreeing_on_the_offset_leave_the_point_refused() {
        let mut p = located(&[("0101", None)], &[("e1", Some(180)), ("e2", Some(420))], &[("e1", "0101"), ("e2", "0101")]);
        let (mut issues, mut warnings) = (Vec::new(), Vec::new());
        fill_point_offsets(&mut p, &mut issues, &mut warnings);
        assert_eq!(issues.len(), 1);
        assert!(issues[0].reason.contains("180, 420"), "{}", issues[0].reason);
    }

    #[test]
    fn the_admitted_warning_is_for_old_participant_tables_only() {
        let old = RawTable {
            name: "participants".into(),
            columns: vec!["participant_id".into()],
            rows: vec![RawRow { line: 2, cells: vec!["P1".into()] }],
        };
        let text = admitted_warning(&old).unwrap().to_string();
        assert!(text.contains("admitted") && text.contains("«да»") && text.contains("теперь обязателен"), "{text}");
        let new = RawTable { columns: vec!["participant_id".into(), "admitted".into()], ..old };
        assert!(admitted_warning(&new).is_none());
    }
}
