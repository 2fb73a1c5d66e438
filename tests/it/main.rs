//! Integration tests: one binary, a module per flow (the crate links once).

mod architecture;
mod common;
mod formcheck;
mod demo;
mod distribution;
mod materials;
mod plan;
mod scanning;
mod schedule;
mod seatday;
mod upload;
mod appliance;
mod printing;
mod monitoring;
mod webui;
mod attacks;
mod gek_webauthn;
mod roster;
mod media_receipt;
mod appeals;
mod planchange;
mod plandata;
mod kits;
mod variants;
mod recordings;
