//! The regional hub (РЦОИ): the composition root of `ppe hub serve` and the hub's commands.
//! Nothing below imports this folder; the context lives in `crate::context`.

pub mod cli;
pub mod linger;
pub mod pki;
pub mod rotate;
pub mod server;
pub mod setup;
