//! The tus 1.0.0 dialect as our client and server speak it: version, extensions, headers,
//! the checksum-mismatch status.
