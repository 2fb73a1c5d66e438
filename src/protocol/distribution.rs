//! Distribution by РЦОИ's seed on the wire: the seed the hub draws and signs for one exam at
//! one exam point (seating or organizers), and the seating a box reports back before the exam.
//! The rules that judge them live in `distribution`.

use serde::{Deserialize, Serialize};

use crate::model::SeatAssignment;

/// What a seed is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// Participants to auditoriums and seats (released one working day before).
    Seating,
    /// Organizers to auditoriums (released on the morning of the exam).
    Organizers,
}

impl Purpose {
    pub const ALL: [Purpose; 2] = [Self::Seating, Self::Organizers];
    pub fn code(self) -> &'static str {
        match self {
            Self::Seating => "seating",
            Self::Organizers => "organizers",
        }
    }
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.code() == text)
    }
    pub fn title_ru(self) -> &'static str {
        match self {
            Self::Seating => "зерно рассадки участников",
            Self::Organizers => "зерно распределения организаторов",
        }
    }
}

/// The answer of `GET /v1/distribution/{exam_id}/{purpose}`: the seed and the hub's
/// Ed25519 signature (hex) over [`seed_signature_message`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedSeed {
    pub exam_id: String,
    pub ppe_code: String,
    pub purpose: Purpose,
    /// Decimal, so no JSON reader rounds it.
    pub seed: String,
    /// RFC 3339: not released before this instant (hub time).
    pub release_at: String,
    pub signature: String,
}

/// The bytes the hub signs for a seed (domain-separated from every other signature). No part
/// can hold the separator: codes are checked by the plan's ФЛК, the seed is decimal, the time
/// RFC 3339.
pub fn seed_signature_message(exam_id: &str, ppe_code: &str, purpose: Purpose, seed: &str, release_at: &str) -> Vec<u8> {
    format!("ppe-distribution-seed-v1|{exam_id}|{ppe_code}|{}|{seed}|{release_at}", purpose.code()).into_bytes()
}

/// The body of `POST /v1/distribution/{exam_id}/seating`: the seating a box made (the box is
/// identified by its enrolled certificate), its seed and the hash of its input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeatingReport {
    pub exam_id: String,
    pub ppe_code: String,
    pub seed: String,
    pub input_hash: String,
    /// The limits the box seated under (region settings; part of the input).
    pub max_per_room: u16,
    pub max_braille_per_room: u16,
    pub seats: Vec<SeatAssignment>,
    /// The auditoriums other exams of the point held while this one ran (part of the input).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub held: Vec<HeldRoomReport>,
}

/// An auditorium another overlapping exam of the point held, as a report carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldRoomReport {
    pub auditorium: String,
    pub exam_id: String,
}

/// The hub's answer to a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeatingReportAck {
    pub received_at: String,
    pub seats: usize,
}

/// A report's bounds: a region's largest exam point seats far fewer.
pub const MAX_REPORTED_SEATS: usize = 20_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signed_message_binds_every_field() {
        let base = seed_signature_message("ege-02", "0101", Purpose::Seating, "42", "2027-05-26T00:00:00+03:00");
        for other in [
            seed_signature_message("ege-03", "0101", Purpose::Seating, "42", "2027-05-26T00:00:00+03:00"),
            seed_signature_message("ege-02", "0102", Purpose::Seating, "42", "2027-05-26T00:00:00+03:00"),
            seed_signature_message("ege-02", "0101", Purpose::Organizers, "42", "2027-05-26T00:00:00+03:00"),
            seed_signature_message("ege-02", "0101", Purpose::Seating, "43", "2027-05-26T00:00:00+03:00"),
            seed_signature_message("ege-02", "0101", Purpose::Seating, "42", "2027-05-25T00:00:00+03:00"),
        ] {
            assert_ne!(base, other);
        }
    }

    #[test]
    fn purposes_read_back_from_their_codes() {
        for p in Purpose::ALL {
            assert_eq!(Purpose::parse(p.code()), Some(p));
        }
        assert_eq!(Purpose::parse("roster"), None);
    }
}
