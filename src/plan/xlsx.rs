//! The plan as an XLSX workbook: one sheet per table, named like the table, header in row 1.
//! Read with calamine (any writer: Excel, LibreOffice, openpyxl), written with rust_xlsxwriter.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

use crate::validate::{columns_of, RawRow, RawTable};

pub fn read(bytes: &[u8]) -> Result<Vec<RawTable>, String> {
    // calamine can panic on some malformed workbooks (integer overflow in its cell-reference
    // parser, found by tests/it/plan.rs): a bad file must be an error, never a crash.
    let bytes = bytes.to_vec();
    std::panic::catch_unwind(move || read_unguarded(&bytes)).unwrap_or_else(|_| Err("XLSX повреждён: файл не разбирается".into()))
}

fn read_unguarded(bytes: &[u8]) -> Result<Vec<RawTable>, String> {
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|e| format!("XLSX не открывается: {e}"))?;
    let mut tables = Vec::new();
    for name in book.sheet_names().to_owned() {
        if columns_of(&name).is_none() && name.starts_with('_') {
            continue; // helper sheets (notes, lists) are allowed when their name starts with _
        }
        let range = book.worksheet_range(&name).map_err(|e| format!("лист «{name}» не читается: {e}"))?;
        let start_row = range.start().map(|(r, _)| r as usize).unwrap_or(0);
        let mut rows = range.rows().enumerate();
        let Some((_, header)) = rows.next() else { continue };
        let columns: Vec<String> = header.iter().map(cell).collect();
        let mut table = RawTable { name: name.clone(), columns, rows: Vec::new() };
        for (i, row) in rows {
            let cells: Vec<String> = row.iter().map(cell).collect();
            if cells.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            table.rows.push(RawRow { line: start_row + i + 1, cells });
        }
        tables.push(table);
    }
    if tables.is_empty() {
        return Err("в книге нет ни одного листа с данными".into());
    }
    Ok(tables)
}

fn cell(data: &Data) -> String {
    match data {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => if *b { "да".into() } else { "нет".into() },
        Data::DateTime(dt) => {
            let (y, mo, d, h, mi, _, _) = dt.to_ymd_hms_milli();
            if dt.as_f64() < 1.0 {
                format!("{h:02}:{mi:02}")
            } else if h == 0 && mi == 0 {
                format!("{y:04}.{mo:02}.{d:02}")
            } else {
                format!("{y:04}.{mo:02}.{d:02} {h:02}:{mi:02}")
            }
        }
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#ERROR {e:?}"),
    }
}

pub fn write(tables: &[RawTable]) -> Result<Vec<u8>, String> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let text = Format::new().set_num_format("@");
    for t in tables {
        let sheet = book.add_worksheet();
        sheet.set_name(&t.name).map_err(|e| e.to_string())?;
        for (c, name) in t.columns.iter().enumerate() {
            sheet.write_string_with_format(0, c as u16, name, &bold).map_err(|e| e.to_string())?;
            sheet.set_column_format(c as u16, &text).map_err(|e| e.to_string())?;
        }
        for (r, row) in t.rows.iter().enumerate() {
            for (c, value) in row.cells.iter().enumerate() {
                if !value.is_empty() {
                    sheet.write_string((r + 1) as u32, c as u16, value).map_err(|e| e.to_string())?;
                }
            }
        }
        sheet.set_freeze_panes(1, 0).map_err(|e| e.to_string())?;
    }
    book.save_to_buffer().map_err(|e| e.to_string())
}
