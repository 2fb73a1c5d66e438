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
        let mut columns: Vec<String> = columns_of(&name).map(|c| c.iter().map(|c| c.name.to_string()).collect()).unwrap_or_default();
        let mut objects = Vec::new();
        for (i, record) in records.iter().enumerate() {
            let serde_json::Value::Object(obj) = record else {
                return Err(format!("«{name}», запись {}: ожидается объект", i + 1));
            };
            for key in obj.keys() {
                if !columns.contains(key) {
                    columns.push(key.clone());
                }
            }
            objects.push(obj);
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
