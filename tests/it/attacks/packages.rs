//! Attacks on the exam packages and the key, played against `ppe edge pull` and `ppe hub serve`.
