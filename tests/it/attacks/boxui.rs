//! Attacks on the box UI from the exam point's LAN: first start claimed, plain HTTP, cookies.
