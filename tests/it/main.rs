//! Integration tests: one binary, a module per flow (the crate links once).

mod architecture;
mod common;
mod demo;
mod materials;
mod plan;
mod scanning;
mod upload;
mod appliance;
mod printing;
mod monitoring;
mod webui;
mod attacks;
mod gek_webauthn;
mod variants;
