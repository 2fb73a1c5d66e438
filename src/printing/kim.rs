//! Printing the exam materials (КИМ, instructions): which files, how many copies, to which
//! auditorium. The bytes come from `materials::open_decrypted` (memory) and go straight into
//! the IPP request (`cli::print_exam_materials`); no plaintext file is ever written on the box.
//! The plan of copies is pure.

use std::collections::BTreeMap;

/// One print job of the materials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaterialsJob {
    pub file_name: String,
    pub auditorium: String,
    pub copies: u32,
}

/// Every КИМ file once per participant seated in the auditorium; every other file of the
/// package (instructions, templates) once per auditorium for its organizers. Auditoriums with
/// nobody seated get nothing. Files by name, auditoriums in order: the same plan each time.
pub fn plan_copies(files: &[(String, String)], seated_per_room: &BTreeMap<String, u32>) -> Vec<MaterialsJob> {
    let mut out = Vec::new();
    for (room, &seated) in seated_per_room {
        if seated == 0 {
            continue;
        }
        let mut names: Vec<&(String, String)> = files.iter().collect();
        names.sort();
        for (name, role) in names {
            let copies = if role == "kim" { seated } else { 1 };
            out.push(MaterialsJob { file_name: name.clone(), auditorium: room.clone(), copies });
        }
    }
    out
}

/// The MIME type CUPS is told for a package file, from its extension; anything unknown is
/// left to CUPS's own typing.
pub fn document_format(file_name: &str) -> &'static str {
    match file_name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).as_deref() {
        Some("pdf") => "application/pdf",
        Some("txt") => "text/plain",
        Some("ps") => "application/postscript",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kim_per_participant_instructions_per_room_empty_rooms_skipped() {
        let files = vec![("2-instruction.pdf".to_string(), "instruction".to_string()), ("1-kim-variant-1.pdf".to_string(), "kim".to_string())];
        let rooms: BTreeMap<String, u32> = [("101".to_string(), 12), ("102".to_string(), 0), ("103".to_string(), 3)].into();
        let jobs = plan_copies(&files, &rooms);
        let view: Vec<(&str, &str, u32)> = jobs.iter().map(|j| (j.auditorium.as_str(), j.file_name.as_str(), j.copies)).collect();
        assert_eq!(view, vec![("101", "1-kim-variant-1.pdf", 12), ("101", "2-instruction.pdf", 1), ("103", "1-kim-variant-1.pdf", 3), ("103", "2-instruction.pdf", 1)]);
    }
}
