//! Seats: where one participant sits for one exam, and the Russian labels (`3Б`) printed
//! for a row and column of an auditorium's grid.

use serde::{Deserialize, Serialize};

/// Where one participant sits for one exam: the result of seating, shared by seating,
/// printing, attendance and scanning.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SeatAssignment {
    pub exam_id: String,
    pub participant_id: String,
    pub ppe_code: String,
    pub auditorium: String,
    /// 1-based row and column of the auditorium's grid.
    pub row: u16,
    pub column: u16,
    /// Fixed by hand: kept by a re-run of the seating.
    #[serde(default)]
    pub manual: bool,
}

impl SeatAssignment {
    pub fn seat_label(&self) -> String {
        seat_label(self.row, self.column)
    }
}

/// Russian column letters for seat labels on exam forms (row number + column letter, `3Б`).
/// Letters that are easily confused (Ё, Й, Ъ, Ы, Ь) are skipped.
pub const SEAT_LETTERS: [char; 28] = [
    'А', 'Б', 'В', 'Г', 'Д', 'Е', 'Ж', 'З', 'И', 'К', 'Л', 'М', 'Н', 'О', 'П', 'Р', 'С', 'Т', 'У',
    'Ф', 'Х', 'Ц', 'Ч', 'Ш', 'Щ', 'Э', 'Ю', 'Я',
];

/// `row` and `column` are 1-based.
pub fn seat_label(row: u16, column: u16) -> String {
    let letter = SEAT_LETTERS.get(usize::from(column.saturating_sub(1))).copied().unwrap_or('?');
    format!("{row}{letter}")
}

/// Inverse of [`seat_label`].
pub fn parse_seat_label(label: &str) -> Option<(u16, u16)> {
    let label = label.trim();
    let split = label.find(|c: char| !c.is_ascii_digit())?;
    let row: u16 = label[..split].parse().ok()?;
    let mut rest = label[split..].chars();
    let letter = rest.next()?.to_uppercase().next()?;
    if rest.next().is_some() || row == 0 {
        return None;
    }
    let column = SEAT_LETTERS.iter().position(|&c| c == letter)? as u16 + 1;
    Some((row, column))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seat_labels_round_trip() {
        for row in 1..=20 {
            for col in 1..=SEAT_LETTERS.len() as u16 {
                let label = seat_label(row, col);
                assert_eq!(parse_seat_label(&label), Some((row, col)), "{label}");
            }
        }
        assert_eq!(seat_label(3, 2), "3Б");
        assert_eq!(parse_seat_label("0А"), None);
        assert_eq!(parse_seat_label("3ББ"), None);
        assert_eq!(parse_seat_label("Б"), None);
    }
}
