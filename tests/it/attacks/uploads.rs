//! Attacks on the hub's upload routes: no or foreign certificate, another point's files,
//! forged hashes, manifests that name paths.
