//! The servers' allocator: mimalloc, called through its plain entry points for the alignments it
//! gives every block anyway.
//!
//! mimalloc rather than glibc's malloc: a request allocates a few dozen small objects, many freed
//! on another thread; glibc spends a few hundred instructions per malloc/free pair and
//! consolidates its fast bins at every larger request (a read or write buffer). Built without
//! transparent huge pages (`no_thp`): with them each thread's heap would start on a 2 MiB page,
//! 10 MiB more for an idle broker.
//!
//! The `mimalloc` crate's allocator passes every request to `mi_malloc_aligned`, whose quick
//! path covers only blocks up to 1 KiB; a larger one, even at alignment 8, takes the
//! over-allocating path (some 150 instructions more, about three times a send: a request's answer
//! future and a stored record's encoding among them). Every mimalloc block is aligned to at least
//! 8 bytes, so up to that the plain calls are the same allocation without the detour.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

use libmimalloc_sys as mi;

/// The alignment every mimalloc block has (`MI_INTPTR_SIZE`).
const NATURAL: usize = std::mem::size_of::<usize>();

pub struct Allocator;

// SAFETY: each call is passed to mimalloc with the size asked; a block whose alignment exceeds
// `NATURAL` goes through mimalloc's aligned entry points, and every block is freed by `mi_free`,
// which takes blocks from all of them.
unsafe impl GlobalAlloc for Allocator {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.align() <= NATURAL {
            mi::mi_malloc(layout.size()).cast()
        } else {
            mi::mi_malloc_aligned(layout.size(), layout.align()).cast()
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.align() <= NATURAL {
            mi::mi_zalloc(layout.size()).cast()
        } else {
            mi::mi_zalloc_aligned(layout.size(), layout.align()).cast()
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        mi::mi_free(ptr.cast::<c_void>());
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if layout.align() <= NATURAL {
            mi::mi_realloc(ptr.cast::<c_void>(), new_size).cast()
        } else {
            mi::mi_realloc_aligned(ptr.cast::<c_void>(), new_size, layout.align()).cast()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Blocks of every size class up to a few pages, at the natural alignment and above, come back
    /// aligned as asked, keep their bytes through a realloc, and zeroed ones are zero.
    #[test]
    fn blocks_are_aligned_and_keep_their_bytes() {
        let a = Allocator;
        for align in [1, 2, 4, 8, 16, 64, 4096] {
            for size in (1..=9000)
                .step_by(37)
                .chain([8, 16, 24, 1024, 1025, 4656, 65536])
            {
                let layout = Layout::from_size_align(size, align).expect("layout");
                // SAFETY: a non-zero size, and each block is freed once with its layout.
                unsafe {
                    let p = a.alloc(layout);
                    assert!(!p.is_null());
                    assert_eq!(p as usize % align, 0, "{size} {align}");
                    p.write_bytes(0xA5, size);
                    let grown = a.realloc(p, layout, size * 2 + 1);
                    assert_eq!(grown as usize % align, 0, "{size} {align}");
                    assert!((0..size).all(|i| *grown.add(i) == 0xA5));
                    a.dealloc(
                        grown,
                        Layout::from_size_align(size * 2 + 1, align).expect("layout"),
                    );
                    let z = a.alloc_zeroed(layout);
                    assert_eq!(z as usize % align, 0);
                    assert!((0..size).all(|i| *z.add(i) == 0));
                    a.dealloc(z, layout);
                }
            }
        }
    }
}
