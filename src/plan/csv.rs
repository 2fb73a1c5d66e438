//! The plan as one CSV file: sections introduced by a `#table` line, each with its header.
//! A file with one table and no marker is accepted too (the table is named by its header).
//! UTF-8 (with or without BOM) and Windows-1251 are detected; `;` and `,` both work.

use crate::validate::{RawRow, RawTable};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CsvEncoding {
    #[default]
    Utf8,
    Windows1251,
}

impl CsvEncoding {
    pub fn parse(text: &str) -> Option<Self> {
        match text.to_lowercase().replace('_', "-").as_str() {
            "utf-8" | "utf8" => Some(Self::Utf8),
            "windows-1251" | "cp1251" | "win1251" => Some(Self::Windows1251),
            _ => None,
        }
    }
}

/// Decodes bytes: UTF-8 if they are valid UTF-8 (BOM stripped), else Windows-1251.
pub fn decode(bytes: &[u8]) -> Result<(String, &'static str), String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok((text.to_string(), "utf-8"));
    }
    let (text, _, had_errors) = encoding_rs::WINDOWS_1251.decode(bytes);
    if had_errors {
        return Err("файл не в кодировке UTF-8 и не в Windows-1251".into());
    }
    if text.contains('\0') {
        return Err("файл содержит нулевые байты: это не текстовый CSV".into());
    }
    Ok((text.into_owned(), "windows-1251"))
}

fn detect_delimiter(text: &str) -> u8 {
    let line = text.lines().find(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#')).unwrap_or("");
    if line.matches(';').count() >= line.matches(',').count() { b';' } else { b',' }
}

pub fn read(bytes: &[u8]) -> Result<(Vec<RawTable>, &'static str), String> {
    let (text, encoding) = decode(bytes)?;
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(detect_delimiter(&text))
        .from_reader(text.as_bytes());
    let mut tables: Vec<RawTable> = Vec::new();
    let mut pending_name: Option<String> = None;
    let mut expecting_header = true;
    for record in reader.records() {
        let record = record.map_err(|e| {
            let at = e.position().map(|p| format!("строка {}: ", p.line())).unwrap_or_default();
            format!("{at}CSV не разбирается: {e}")
        })?;
        let line = record.position().map(|p| p.line() as usize).unwrap_or(0);
        let cells: Vec<String> = record.iter().map(|c| c.trim().to_string()).collect();
        if cells.iter().all(String::is_empty) {
            continue;
        }
        if let Some(name) = cells[0].strip_prefix('#') {
            if cells[1..].iter().any(|c| !c.is_empty()) {
                return Err(format!("строка {line}: после метки таблицы «{}» не должно быть других значений", cells[0]));
            }
            pending_name = Some(name.trim().to_string());
            expecting_header = true;
            continue;
        }
        if expecting_header {
            let columns: Vec<String> = cells.iter().map(|c| c.trim_start_matches('\u{feff}').to_string()).collect();
            let name = match pending_name.take() {
                Some(n) => n,
                None if tables.is_empty() => super::guess_table(&columns)
                    .map(String::from)
                    .ok_or_else(|| format!("строка {line}: нет метки #таблица, и по заголовку не понять, какая это таблица"))?,
                None => return Err(format!("строка {line}: ожидалась метка #таблица")),
            };
            tables.push(RawTable { name, columns, rows: Vec::new() });
            expecting_header = false;
            continue;
        }
        if let Some(t) = tables.last_mut() {
            t.rows.push(RawRow { line, cells });
        }
    }
    if tables.is_empty() {
        return Err("в файле нет ни одной таблицы".into());
    }
    Ok((tables, encoding))
}

pub fn write(tables: &[RawTable], encoding: CsvEncoding) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    for (i, t) in tables.iter().enumerate() {
        if i > 0 {
            out.push(b'\n');
        }
        out.extend_from_slice(format!("#{}\n", t.name).as_bytes());
        let mut w = ::csv::WriterBuilder::new().delimiter(b';').from_writer(Vec::new());
        w.write_record(&t.columns).map_err(|e| e.to_string())?;
        for row in &t.rows {
            w.write_record(&row.cells).map_err(|e| e.to_string())?;
        }
        out.extend(w.into_inner().map_err(|e| e.to_string())?);
    }
    match encoding {
        CsvEncoding::Utf8 => Ok(out),
        CsvEncoding::Windows1251 => {
            let text = String::from_utf8(out).map_err(|e| e.to_string())?;
            let (bytes, _, unmappable) = encoding_rs::WINDOWS_1251.encode(&text);
            if unmappable {
                return Err("в данных есть символы, которых нет в Windows-1251".into());
            }
            Ok(bytes.into_owned())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_1251_is_detected_and_decoded() {
        let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode("#exam_points\nppe_code;name\n0101;Школа\n");
        let (text, enc) = decode(&bytes).unwrap();
        assert_eq!(enc, "windows-1251");
        assert!(text.contains("Школа"));
        let (text, enc) = decode("\u{feff}Школа".as_bytes()).unwrap();
        assert_eq!((text.as_str(), enc), ("Школа", "utf-8"));
    }

    #[test]
    fn comma_and_semicolon_files_read_alike() {
        let a = read(b"#registrations\nexam_id;participant_id;ppe_code\nE1;P1;0101\n").unwrap().0;
        let b = read(b"#registrations\nexam_id,participant_id,ppe_code\nE1,P1,0101\n").unwrap().0;
        assert_eq!(a, b);
        assert_eq!(a[0].rows[0].line, 3);
    }

    #[test]
    fn a_single_table_without_marker_is_named_by_header() {
        let t = read(b"exam_id;participant_id;ppe_code\nE1;P1;0101\n").unwrap().0;
        assert_eq!(t[0].name, "registrations");
    }

    #[test]
    fn garbage_is_refused_with_a_reason() {
        assert!(read(b"").is_err());
        assert!(read(b"\x00\x01\x02").is_err());
        assert!(read(b"#t;x\n").is_err());
    }
}
