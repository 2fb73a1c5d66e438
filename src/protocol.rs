//! What both sides of a wire agree on: header names, error bodies, report, key-request and
//! receipt shapes, and the tus dialect. The box's client and the hub's server both import
//! from here, never from each other.

pub mod tus;
