//! `[roster]` of `ppe.toml`: the region's numbers of the worker roster (DOMAIN.md §3), with the
//! regulation's values as defaults. The rules that use them are `roster`'s; this is only the
//! data, so the shared kernel stays below the domains.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::model::{ExamKind, PointType};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RosterConfig {
    /// Organizers in every auditorium in use (one of them responsible). Default 2.
    #[serde(default = "d_per_room")]
    pub organizers_per_room: usize,
    /// One more organizer for each further this many participants of a room; 0 (default):
    /// none, the regulation asks for two per room whatever its size up to 25.
    #[serde(default)]
    pub participants_per_extra_organizer: usize,
    /// Organizers outside auditoriums on every floor in use. Default 1.
    #[serde(default = "d_one")]
    pub outside_organizers_per_floor: usize,
    /// No teacher of participants sitting at the point organizes or assists there (ГИА-9 and
    /// ГИА-11). Default true.
    #[serde(default = "d_true")]
    pub teacher_rule: bool,
    /// Point types exempt from the teacher rule. Default: ТОМ, УИС, at home, abroad.
    #[serde(default = "d_exempt_types")]
    pub teacher_rule_exempt_point_types: BTreeSet<PointType>,
    /// School codes exempt from the teacher rule (a settlement with one school). Default none.
    #[serde(default)]
    pub teacher_rule_exempt_schools: BTreeSet<String>,
    /// Minimum staff of the point for an exam of any kind.
    #[serde(default)]
    pub staff: StaffMinimum,
    /// Minimum staff by exam kind (`ege`, `oge`, `gve`, `interview`, `essay`), replacing
    /// `staff` for that kind. Default none.
    #[serde(default)]
    pub staff_by_kind: BTreeMap<String, StaffMinimum>,
}

/// Minimum staff of a point for one exam (DOMAIN.md §3).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct StaffMinimum {
    /// Members of ГЭК. Default 2.
    #[serde(default = "d_two")]
    pub gek_members: usize,
    /// Technical specialists. Default 1.
    #[serde(default = "d_one")]
    pub tech_specialists: usize,
    /// Medical workers on site. Default 1.
    #[serde(default = "d_one")]
    pub medical_workers: usize,
}

impl Default for StaffMinimum {
    fn default() -> Self {
        Self { gek_members: 2, tech_specialists: 1, medical_workers: 1 }
    }
}

impl Default for RosterConfig {
    fn default() -> Self {
        Self {
            organizers_per_room: d_per_room(),
            participants_per_extra_organizer: 0,
            outside_organizers_per_floor: 1,
            teacher_rule: true,
            teacher_rule_exempt_point_types: d_exempt_types(),
            teacher_rule_exempt_schools: BTreeSet::new(),
            staff: StaffMinimum::default(),
            staff_by_kind: BTreeMap::new(),
        }
    }
}

impl RosterConfig {
    /// The minimum staff for an exam of this kind.
    pub fn staff_for(&self, kind: ExamKind) -> StaffMinimum {
        self.staff_by_kind.get(kind.code()).copied().unwrap_or(self.staff)
    }

    /// (key, reason) for every value `ppe edge check-config` must refuse.
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if self.organizers_per_room == 0 {
            out.push(("roster.organizers_per_room".into(), "должно быть не меньше 1 (по порядку — 2)".into()));
        }
        for kind in self.staff_by_kind.keys() {
            if !ExamKind::ALL.iter().any(|k| k.code() == kind) {
                let known: Vec<&str> = ExamKind::ALL.iter().map(|k| k.code()).collect();
                out.push((format!("roster.staff_by_kind.{kind}"), format!("неизвестный вид экзамена; допустимы: {}", known.join(", "))));
            }
        }
        out
    }
}

fn d_per_room() -> usize {
    2
}
fn d_two() -> usize {
    2
}
fn d_one() -> usize {
    1
}
fn d_true() -> bool {
    true
}
fn d_exempt_types() -> BTreeSet<PointType> {
    [PointType::Home, PointType::Tom, PointType::Uis, PointType::Abroad].into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_regulation_and_a_region_overrides_them() {
        let empty: RosterConfig = toml::from_str("").unwrap();
        assert_eq!(empty, RosterConfig::default());
        assert_eq!(empty.staff_for(ExamKind::Ege), StaffMinimum { gek_members: 2, tech_specialists: 1, medical_workers: 1 });
        let region: RosterConfig = toml::from_str(
            "participants_per_extra_organizer = 15\nteacher_rule_exempt_point_types = [\"tom\"]\n[staff_by_kind.interview]\ngek_members = 0\n",
        )
        .unwrap();
        assert_eq!(region.participants_per_extra_organizer, 15);
        assert_eq!(region.teacher_rule_exempt_point_types, [PointType::Tom].into_iter().collect());
        assert_eq!(region.staff_for(ExamKind::Interview).gek_members, 0);
        assert_eq!(region.staff_for(ExamKind::Interview).medical_workers, 1, "an unset key keeps its default");
        assert_eq!(region.staff_for(ExamKind::Ege).gek_members, 2);
        assert!(region.problems().is_empty());
    }

    #[test]
    fn impossible_values_are_named() {
        let bad: RosterConfig = toml::from_str("organizers_per_room = 0\n[staff_by_kind.EGE]\ngek_members = 1\n").unwrap();
        let keys: Vec<String> = bad.problems().into_iter().map(|p| p.0).collect();
        assert_eq!(keys, ["roster.organizers_per_room", "roster.staff_by_kind.EGE"]);
        assert!(toml::from_str::<RosterConfig>("teacher_rule_exempt_point_types = [\"moon\"]\n").is_err());
    }
}
