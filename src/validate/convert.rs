//! Rows to typed records: each table's cells read through [`RowReader`] (format, required,
//! range) and the rules of one row (levels, seats of a room, documents, school, допуск).

use super::*;

pub(super) fn convert_row(table: &str, r: &mut RowReader<'_>, out: &mut Located) {
    let line = r.line;
    match table {
        "exams" => {
            let exam = Exam {
                exam_id: r.get("exam_id"),
                kind: r.parse_enum("kind", ExamKind::parse, "ege, oge, gve, interview, essay").unwrap_or(ExamKind::Ege),
                level: r.number("level", 9..=11),
                subject_code: r.get("subject_code"),
                subject_name: r.get("subject_name"),
                date: r.get("date"),
                start: r.get("start"),
                duration_min: r.number("duration_min", 1..=600),
                materials_open_before_min: r.number("materials_open_before_min", 0..=10_080),
                materials_close_after_start_min: r.number("materials_close_after_start_min", 0..=1_440),
                upload_deadline_after_end_min: r.number("upload_deadline_after_end_min", 1..=43_200),
                utc_offset_min: if r.raw("utc_offset_min").is_empty() { default_utc_offset() } else { r.number("utc_offset_min", -720..=840) },
                kit: r.get("kit"),
                kim_print: r.parse_enum("kim_print", KimPrint::parse, "in_room, ahead").unwrap_or_default(),
                technology: r
                    .parse_enum(
                        "technology",
                        crate::model::Technology::parse,
                        &allowed(crate::model::Technology::ALL.map(|t| (t.code(), t.title_ru()))),
                    )
                    .flatten(),
                materials_open_at: r.get("materials_open_at"),
                documents_open_at: r.get("documents_open_at"),
                upload_due_at: r.get("upload_due_at"),
            };
            if r.ok && exam.level != 9 && exam.level != 11 {
                r.problem("level", format!("уровень {}: допустимо 9 или 11", exam.level));
            }
            let expected_level = match exam.kind {
                ExamKind::Ege | ExamKind::Essay => Some(11),
                ExamKind::Oge | ExamKind::Interview => Some(9),
                ExamKind::Gve => None,
            };
            if r.ok && expected_level.is_some_and(|l| l != exam.level) {
                r.problem("level", format!("{} проводится для уровня {}, указан {}", exam.kind.title_ru(), expected_level.unwrap_or(0), exam.level));
            }
            if let (true, Err(e)) = (r.ok, crate::model::kit::check_kit_cell(&exam.kit)) {
                r.problem("kit", e.to_string());
            }
            if r.ok {
                for (column, problem) in crate::model::windows::window_problems(&exam) {
                    r.problem(column, problem);
                }
            }
            if r.ok {
                if !r.raw("utc_offset_min").is_empty() {
                    out.exam_offsets.insert(exam.exam_id.clone(), exam.utc_offset_min);
                }
                out.exams.push((line, exam));
            }
        }
        "exam_points" => {
            let p = ExamPoint {
                ppe_code: r.get("ppe_code"),
                name: r.get("name"),
                address: r.get("address"),
                ate_code: r.get("ate_code"),
                ate_name: r.get("ate_name"),
                point_type: r
                    .parse_enum("point_type", PointType::parse, &allowed(PointType::ALL.map(|t| (t.code(), t.title_ru()))))
                    .unwrap_or_default(),
                utc_offset_min: if r.raw("utc_offset_min").is_empty() { None } else { Some(r.number("utc_offset_min", -720..=840)) },
            };
            if r.ok {
                out.exam_points.push((line, p));
            }
        }
        "auditoriums" => {
            let a = Auditorium {
                ppe_code: r.get("ppe_code"),
                auditorium: r.get("auditorium"),
                rows: r.number("rows", 1..=50),
                columns: r.number("columns", 1..=SEAT_LETTERS.len() as i64),
                capacity: r.number("capacity", 1..=1400),
                special_needs: r.flag("special_needs"),
                video: r.flag("video"),
                oral: r.flag("oral"),
                reserve: r.flag("reserve"),
                unusable_seats: r.get("unusable_seats"),
                floor: r.number("floor", 0..=100),
                room_kind: r.parse_enum("room_kind", crate::model::RoomKind::parse, "waiting, conducting, workstation, standard").flatten(),
            };
            if r.ok {
                let mut unusable = 0u32;
                for label in split_list(&a.unusable_seats) {
                    match parse_seat_label(&label) {
                        Some((row, c)) if row <= a.rows && c <= a.columns => unusable += 1,
                        _ => r.problem("unusable_seats", format!("место «{label}» не существует в сетке {}×{}", a.rows, a.columns)),
                    }
                }
                let seats = u32::from(a.rows) * u32::from(a.columns) - unusable.min(u32::from(a.rows) * u32::from(a.columns));
                if u32::from(a.capacity) > seats {
                    r.problem(
                        "capacity",
                        format!("вместимость {} больше числа мест {seats} ({}×{} без неиспользуемых)", a.capacity, a.rows, a.columns),
                    );
                }
            }
            if r.ok {
                out.auditoriums.push((line, a));
            }
        }
        "participants" => {
            let doc_type = r.parse_enum("doc_type", DocType::parse, DOC_TYPES);
            let mut p = Participant {
                participant_id: r.get("participant_id"),
                surname: r.get("surname"),
                name: r.get("name"),
                patronymic: r.get("patronymic"),
                sex: r.parse_enum("sex", Sex::parse, "М, Ж").unwrap_or(Sex::Male),
                birth_date: r.get("birth_date"),
                phone: r.get("phone"),
                citizenship: r.get("citizenship"),
                snils: r.get("snils"),
                doc_type: doc_type.unwrap_or(DocType::Other),
                doc_series: r.get("doc_series"),
                doc_number: r.get("doc_number"),
                school_code: r.get("school_code"),
                school_name: r.get("school_name"),
                class: r.get("class"),
                study_form: r.get("study_form"),
                category: r.get("category"),
                health: r.parse_enum("health", HealthCategory::parse, "none, ovz, disabled_child, disabled").unwrap_or_default(),
                conditions: SpecialConditions {
                    extra_time: r.flag("extra_time"),
                    separate_room: r.flag("separate_room"),
                    large_print: r.flag("large_print"),
                    assistant: r.flag("assistant"),
                    braille: r.flag("braille"),
                    computer: r.flag("computer"),
                },
                admitted: admitted(r),
            };
            document(r, doc_type, &mut p.doc_series, &mut p.doc_number);
            if !p.category.is_empty() && !is_past_year_graduate(&p.category) {
                for column in ["school_code", "school_name"] {
                    if r.raw(column).is_empty() {
                        r.problem(
                            column,
                            format!("обязательное поле не заполнено (без ОО — только выпускник прошлых лет, а категория «{}»)", p.category),
                        );
                    }
                }
            }
            if r.ok && p.conditions.any() && p.health == HealthCategory::None {
                r.problem("health", "особые условия указаны, но категория ОВЗ/инвалидности не указана".into());
            }
            if r.ok {
                out.participants.push((line, p));
            }
        }
        "registrations" => {
            let g = Registration { exam_id: r.get("exam_id"), participant_id: r.get("participant_id"), ppe_code: r.get("ppe_code") };
            if r.ok {
                out.registrations.push((line, g));
            }
        }
        "workers" => {
            let doc_type = r.parse_enum("doc_type", DocType::parse, DOC_TYPES);
            let roles_raw = r.list("roles");
            let mut roles = Vec::new();
            for code in &roles_raw {
                match WorkerRole::parse(code) {
                    Some(role) => roles.push(role),
                    None => r.problem(
                        "roles",
                        format!("«{code}»: неизвестный вид работ (допустимо: {})", allowed(WorkerRole::ALL.map(|w| (w.code(), w.title_ru())))),
                    ),
                }
            }
            let mut w = Worker {
                worker_id: r.get("worker_id"),
                surname: r.get("surname"),
                name: r.get("name"),
                patronymic: r.get("patronymic"),
                birth_year: r.number("birth_year", 1920..=2010),
                phone: r.get("phone"),
                email: r.get("email"),
                snils: r.get("snils"),
                doc_type: doc_type.unwrap_or(DocType::Other),
                doc_series: r.get("doc_series"),
                doc_number: r.get("doc_number"),
                workplace: r.get("workplace"),
                workplace_school_code: r.get("workplace_school_code"),
                position: r.get("position"),
                specializations: r.list("specializations"),
                roles,
                forbidden_subjects: r.list("forbidden_subjects"),
            };
            document(r, doc_type, &mut w.doc_series, &mut w.doc_number);
            if r.ok {
                out.workers.push((line, w));
            }
        }
        "worker_assignments" => {
            let a = WorkerAssignment { worker_id: r.get("worker_id"), ppe_code: r.get("ppe_code"), date: r.get("date"), reserve: r.flag("reserve") };
            if r.ok {
                out.worker_assignments.push((line, a));
            }
        }
        "observers" => {
            let doc_type = r.parse_enum("doc_type", DocType::parse, DOC_TYPES);
            let mut o = Observer {
                observer_id: r.get("observer_id"),
                surname: r.get("surname"),
                name: r.get("name"),
                patronymic: r.get("patronymic"),
                sex: r.parse_enum("sex", Sex::parse, "М, Ж").unwrap_or(Sex::Male),
                birth_year: r.number("birth_year", 1920..=2010),
                phone: r.get("phone"),
                email: r.get("email"),
                doc_type: doc_type.unwrap_or(DocType::Other),
                doc_series: r.get("doc_series"),
                doc_number: r.get("doc_number"),
                accrediting_body: r.get("accrediting_body"),
                certificate_number: r.get("certificate_number"),
            };
            document(r, doc_type, &mut o.doc_series, &mut o.doc_number);
            if r.ok {
                out.observers.push((line, o));
            }
        }
        "observer_assignments" => {
            let a = ObserverAssignment { observer_id: r.get("observer_id"), ppe_code: r.get("ppe_code"), date: r.get("date") };
            if r.ok {
                out.observer_assignments.push((line, a));
            }
        }
        _ => {}
    }
}

const DOC_TYPES: &str = "passport_rf, birth_certificate, foreign_passport, other";

/// The allowed values of an enumeration for a message: each code with its Russian title.
fn allowed<const N: usize>(values: [(&str, &str); N]) -> String {
    values.iter().map(|(code, title)| format!("{code} ({title})")).collect::<Vec<_>>().join(", ")
}

/// Series and number checked against the document type and normalized in place.
fn document(r: &mut RowReader<'_>, doc_type: Option<DocType>, series: &mut String, number: &mut String) {
    let Some(doc_type) = doc_type else { return };
    if number.is_empty() {
        return;
    }
    match check_document(doc_type, series, number) {
        Ok((s, n)) => (*series, *number) = (s, n),
        Err(reason) => r.problem(if reason.contains("серия") { "doc_series" } else { "doc_number" }, reason),
    }
}

/// допуск к ГИА: required when the column is there; a file without the column is an old
/// one and every participant is taken as admitted (the warning is given once per table).
fn admitted(r: &mut RowReader<'_>) -> bool {
    if !r.index.contains_key("admitted") {
        return true;
    }
    if r.raw("admitted").is_empty() {
        r.problem("admitted", "обязательное поле не заполнено: допуск к ГИА, да или нет".into());
        return true;
    }
    r.flag("admitted")
}
