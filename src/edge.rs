//! The exam point's box: the composition root of `ppe edge serve` (the daemon) and the box's
//! own duties. Nothing below imports this folder; the context lives in `crate::context`.

pub mod duties;
pub mod reporter;
pub mod serve;
pub mod status;
pub mod verify_state;

pub use crate::context::EdgeContext;
