//! The plan as JSON: an object with one array of records per table, snake_case keys.
//! Written typed (booleans as booleans, lists as arrays); read leniently into text cells so
//! that ФЛК reports a bad value by row and column instead of a serde error at a byte offset.

use crate::model::Plan;
use crate::validate::{columns_of, RawRow, RawTable};

pub fn read(bytes: &[u8]) -> Result<Vec<RawTable>, String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| format!("JSON не разбирается: {e}"))?;
    let serde_json::Value::Object(top) = value else {
        return Err("JSON плана должен быть объектом с массивами по таблицам".into());
    };
    let mut tables = Vec::new();
    for (name, records) in top {
        let serde_json::Value::Array(records) = records else {
            return Err(format!("«{name}»: ожидается массив записей"));
        };
        let mut objects = Vec::new();
        for (i, record) in records.iter().enumerate() {
            let serde_json::Value::Object(obj) = record else {
                return Err(format!("«{name}», запись {}: ожидается объект", i + 1));
            };
            objects.push(obj);
        }
        // A key no record has is a column the file lacks (an old plan), as in CSV and XLSX.
        let known = columns_of(&name).unwrap_or(&[]);
        let mut columns: Vec<String> =
            known.iter().filter(|c| objects.is_empty() || objects.iter().any(|o| o.contains_key(c.name))).map(|c| c.name.to_string()).collect();
        for obj in &objects {
            for key in obj.keys() {
                if !columns.contains(key) {
                    columns.push(key.clone());
                }
            }
        }
        let rows = objects
            .iter()
            .enumerate()
            .map(|(i, obj)| RawRow { line: i + 1, cells: columns.iter().map(|c| super::cell_text(obj.get(c))).collect() })
            .collect();
        tables.push(RawTable { name, columns, rows });
    }
    Ok(tables)
}

pub fn write(plan: &Plan) -> Vec<u8> {
    let mut out = serde_json::to_vec_pretty(plan).unwrap_or_default();
    out.push(b'\n');
    out
}
