//! `ppe`: the exam-day appliance of an exam point (ППЭ) and the regional hub (РЦОИ).
//! See ARCHITECTURE.md for the map of the house.

pub mod accounts;
pub mod attendance;
pub mod audit;
pub mod check_config;
pub mod cli_util;
pub mod clock;
pub mod config;
pub mod context;
pub mod daemon;
pub mod day;
pub mod demo;
pub mod edge;
pub mod gek;
pub mod http;
pub mod hub;
pub mod hub_client;
pub mod keys;
pub mod logging;
pub mod materials;
pub mod model;
pub mod monitoring;
pub mod plan;
pub mod protocol;
pub mod roster;
pub mod scanning;
pub mod retention;
pub mod printing;
pub mod seating;
pub mod serial;
pub mod sheet_code;
pub mod store;
pub mod upload;
pub mod util;
pub mod validate;
pub mod web;
