//! Decrypted exam material and unwrapped keys held in memory only: the buffer is locked
//! against swap where the service's `RLIMIT_MEMLOCK` allows (`LimitMEMLOCK=` in the unit),
//! overwritten with zeros when dropped, and the process stops being dumpable before the first
//! byte is decrypted, so neither swap nor a core dump carries a КИМ to disk.

use std::sync::Once;

use zeroize::Zeroize;

/// Bytes of plaintext: locked in RAM when the limit allows, wiped on drop. Never grows after
/// creation (a reallocation would leave an unwiped copy behind), so it is filled once through
/// [`Plaintext::fill`] into exactly the capacity it was made with.
pub struct Plaintext {
    bytes: Vec<u8>,
    locked: bool,
}

impl Plaintext {
    /// An empty buffer of `capacity` bytes, locked before anything is written into it.
    pub fn with_capacity(capacity: usize) -> Self {
        forbid_core_dumps();
        let mut bytes = Vec::with_capacity(capacity.max(1));
        let locked = lock(&mut bytes);
        Self { bytes, locked }
    }

    /// Copies `bytes` into a new locked buffer (the caller wipes its own copy).
    pub fn copy_of(bytes: &[u8]) -> Self {
        let mut out = Self::with_capacity(bytes.len());
        out.bytes.extend_from_slice(bytes);
        out
    }

    /// Fills the buffer by `f` writing into it; a write past the capacity it was made with is
    /// refused, so the bytes never move to an unlocked, unwiped allocation.
    pub fn fill<T, E: From<std::io::Error>>(&mut self, f: impl FnOnce(&mut dyn std::io::Write) -> Result<T, E>) -> Result<T, E> {
        let mut writer = Bounded { buf: &mut self.bytes };
        f(&mut writer)
    }

    /// Whether the buffer is locked in RAM (false: `RLIMIT_MEMLOCK` too small; logged once).
    pub fn is_locked(&self) -> bool {
        self.locked
    }
}

impl Clone for Plaintext {
    fn clone(&self) -> Self {
        Self::copy_of(&self.bytes)
    }
}

impl std::ops::Deref for Plaintext {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.bytes
    }
}

impl AsRef<[u8]> for Plaintext {
    fn as_ref(&self) -> &[u8] {
        &self.bytes
    }
}

impl PartialEq<Vec<u8>> for Plaintext {
    fn eq(&self, other: &Vec<u8>) -> bool {
        self.bytes == *other
    }
}

impl std::fmt::Debug for Plaintext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Plaintext({} bytes, locked: {})", self.bytes.len(), self.locked)
    }
}

impl Drop for Plaintext {
    fn drop(&mut self) {
        // Zeros over the whole allocation (not only the length) before the pages are
        // unlocked and handed back.
        self.bytes.zeroize();
        if self.locked {
            unlock(&mut self.bytes);
        }
    }
}

struct Bounded<'a> {
    buf: &'a mut Vec<u8>,
}

impl std::io::Write for Bounded<'_> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if self.buf.len() + data.len() > self.buf.capacity() {
            return Err(std::io::Error::other("plaintext longer than its stated length"));
        }
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

static MLOCK_WARNING: Once = Once::new();

fn lock(buf: &mut Vec<u8>) -> bool {
    let (ptr, len) = (buf.as_mut_ptr().cast::<std::ffi::c_void>(), buf.capacity());
    // SAFETY: `ptr..ptr+len` is the live heap allocation of `buf`, owned by the `Plaintext`
    // that unlocks it in `drop` before freeing; mlock only pins pages, it reads or writes
    // nothing.
    match unsafe { rustix::mm::mlock(ptr, len) } {
        Ok(()) => true,
        Err(e) => {
            MLOCK_WARNING.call_once(|| {
                tracing::warn!("plaintext not locked in RAM ({e}): raise LimitMEMLOCK= of the service; swap must be off on the box");
            });
            false
        }
    }
}

fn unlock(buf: &mut Vec<u8>) {
    let (ptr, len) = (buf.as_mut_ptr().cast::<std::ffi::c_void>(), buf.capacity());
    // SAFETY: as in `lock`: the same live allocation, still owned.
    let _ = unsafe { rustix::mm::munlock(ptr, len) };
}

static NOT_DUMPABLE: Once = Once::new();

/// `prctl(PR_SET_DUMPABLE, 0)`: no core dump of this process (whatever `ulimit -c` or
/// systemd-coredump say) and no ptrace by other processes of the same user. Once per process;
/// a failure is logged, not fatal (`LimitCORE=0` in the unit still holds).
pub fn forbid_core_dumps() {
    NOT_DUMPABLE.call_once(|| {
        if let Err(e) = rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable) {
            tracing::warn!("prctl(PR_SET_DUMPABLE, 0) failed: {e}");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_refuses_more_than_the_capacity_and_keeps_what_fits() {
        let mut p = Plaintext::with_capacity(8);
        let r: std::io::Result<()> = p.fill(|w| w.write_all(b"12345678"));
        r.unwrap();
        assert_eq!(&*p, b"12345678");
        let mut q = Plaintext::with_capacity(4);
        let r: std::io::Result<()> = q.fill(|w| w.write_all(b"12345"));
        assert!(r.is_err(), "longer than stated is refused");
        assert_eq!(q.clone().len(), 0);
    }

    #[test]
    fn a_small_buffer_is_locked_under_the_default_memlock_limit_and_dumping_is_off() {
        // 8 MiB is the kernel's default RLIMIT_MEMLOCK since 5.16; one page fits any limit.
        let p = Plaintext::copy_of(b"kim");
        assert!(p.is_locked(), "a one-page plaintext should be lockable");
        assert_eq!(rustix::process::dumpable_behavior().unwrap(), rustix::process::DumpableBehavior::NotDumpable);
    }
}
