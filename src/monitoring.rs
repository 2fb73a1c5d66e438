//! РЦОИ monitoring: the heartbeat a box sends, and the pure judgement of how every exam point
//! stands against its upload deadline (on track, at risk, stalled, late, done, silent), the
//! page funnel of an exam and the totals the dashboard shows. No I/O here; the hub's live
//! state, SQL and pages are in the parts below.
//!
//! - `report`: the heartbeat a box sends (wire type and the hub's checks), refusals, progress.
//! - `judgement`: schedule, what reached the hub, rate, and the colour of a point.
//! - `files`: recordings and КЕГЭ answer files counted like pages, per point and in totals.
//! - `funnel`: the rows the dashboard, API and CLI show, totals, funnel, pre-start counts.
//! - `text`: times, durations and sizes as the operator reads them.
//! - `live`: the hub's in-memory view of every point (`live/rows`), the batched writer
//!   (`live/writer`) and the SSE ticker (`live/ticker`).
//! - `store`: SQL of heartbeats, timelines, notes, and the hub-side upload facts.
//! - `pages`: the axum router (heartbeat endpoint, dashboard, SSE, JSON, metrics, login) on
//!   the web kit (`crate::http`); `views`: the pages as askama templates; `metrics`: the
//!   Prometheus text.
//! - `accounts` + `accounts_store`: РЦОИ operator accounts (viewer, operator, admin).
//! - the box side (building a report and posting it every N seconds) is `edge/reporter.rs`.
//! - `cli`: `ppe hub status` and `ppe hub user`.

pub mod accounts;
pub mod accounts_store;
pub mod cli;
pub mod live;
pub mod metrics;
pub mod pages;
pub mod store;
pub mod views;
pub mod files;
pub mod funnel;
pub mod judgement;
pub mod report;
pub mod text;

pub use files::{FilesFunnel, FilesRow};
pub use funnel::*;
pub use judgement::*;
pub use report::*;
pub use text::*;

#[cfg(test)]
pub(crate) mod tests;
