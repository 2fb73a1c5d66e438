//! Seating of participants into auditoriums and seats (order 805 §19.1б), offline, pure and
//! deterministic. The algorithm lives here; its SQL in `seating/store.rs`.

pub mod store;
