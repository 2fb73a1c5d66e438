//! The attack suite (issue 15): each test plays one attack on the exam point's LAN or on the
//! hub's port through the real binary and the real TLS listener, and asserts the refusal *and*
//! that nothing was stored, leaked or blamed on the victim. `docs/security.md` lists them with
//! what each proves.

mod boxui;
pub(crate) mod gek;
mod limits;
mod login;
mod packages;
mod spool;
mod uploads;
