//! Integration tests: one binary, a module per flow (the crate links once).

mod common;
mod plan;
mod printing;
