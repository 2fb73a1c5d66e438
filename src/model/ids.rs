//! The ids that travel most, as types: a use case that takes an `ExamId` and a `PpeCode`
//! cannot be called with the two swapped, as it could with five `&str` in a row. Each wraps the
//! text the plan uses (serde-transparent, so files and the wire are unchanged) and derefs to
//! `str` for the stores and templates that read it.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.to_string())
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                Self(s)
            }
        }

        impl From<&String> for $name {
            fn from(s: &String) -> Self {
                Self(s.clone())
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}

id_type!(
    /// An exam of the plan (`exam_id`, e.g. `EGE-2026-06-01-MATH-P`).
    ExamId
);
id_type!(
    /// An exam point (`ppe_code`, the region's code of the ППЭ).
    PpeCode
);
id_type!(
    /// A participant of the plan (`participant_id`).
    ParticipantId
);
id_type!(
    /// A worker of the plan (`worker_id`).
    WorkerId
);
id_type!(
    /// An auditorium of an exam point (its number as the plan writes it, `101`).
    AuditoriumCode
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_their_text_on_the_wire_and_compare_with_str() {
        let exam = ExamId::from("EGE-1");
        assert_eq!(serde_json::to_string(&exam).unwrap(), "\"EGE-1\"");
        let back: ExamId = serde_json::from_str("\"EGE-1\"").unwrap();
        assert_eq!(back, exam);
        assert!(exam == "EGE-1");
        assert_eq!(exam.len(), 5, "derefs to str");
        let mut set = std::collections::HashSet::new();
        set.insert(PpeCode::from("0101"));
        assert!(set.contains("0101"), "a set of codes is looked up by text");
    }
}
