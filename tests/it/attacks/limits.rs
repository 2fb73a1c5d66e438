//! Attacks on the hub's resources: huge, many, stalled or junk uploads and requests.
