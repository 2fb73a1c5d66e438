//! Attacks on the two-person rule: the key obtained or activated without the ГЭК member's own
//! credential.
