//! Keeping the resident set small on glibc.
//!
//! glibc's allocator hands memory back to the system only at the top of each
//! arena, and raises its mmap threshold after large frees, so after a burst of
//! requests (or of argon2id runs, 19 MiB each) a process keeps its peak footprint.
//! Gapura fixes the mmap threshold (large buffers are mapped and unmapped, never
//! parked in an arena), caps the number of arenas, and trims the free pages of every
//! arena when the maintenance loop runs and when the hashing pool goes idle.

/// Allocations at least this large are mapped on their own and returned on free.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: i32 = 1024 * 1024;

/// Call once at start, before the runtime spawns its threads.
pub fn tune() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        let arenas = i32::try_from(cores * 2).unwrap_or(8);
        // SAFETY: mallopt only sets allocator parameters; it is called before any
        // other thread exists, and an unknown parameter is rejected, not undefined.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
            libc::mallopt(libc::M_ARENA_MAX, arenas);
        }
    }
}

/// Gives the free pages of every arena back to the system.
pub fn trim() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim is thread-safe (it locks each arena) and only releases
    // memory the allocator holds as free.
    unsafe {
        libc::malloc_trim(0);
    }
}
