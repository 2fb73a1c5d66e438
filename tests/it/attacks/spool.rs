//! Attacks on the plaintext КИМ: spools, temp folders, core dumps, remote printers.
