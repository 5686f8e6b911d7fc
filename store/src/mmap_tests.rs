//! Tests of the mapped files and the OS calls beside them.

#![allow(clippy::unwrap_used)]
use super::*;

#[test]
fn written_pages_are_resident() {
    let dir = crate::testutil::TempDir::new("mmap-resident");
    let f = MappedFile::create(&dir.path().join("f"), 1 << 20, 0).unwrap();
    f.write(5000, &[7u8; 9000]);
    assert!(f.is_resident(5000, 9000), "just written: in the page cache");
    assert!(f.is_resident(8190, 10), "a range across a page boundary");
}

#[test]
fn released_pages_keep_their_data_and_take_writes() {
    let dir = crate::testutil::TempDir::new("mmap-release");
    let p = dir.path().join("f");
    let page = page_size();
    let f = Arc::new(MappedFile::create(&p, (16 * page) as u64, (16 * page) as u64).unwrap());
    let data: Vec<u8> = (0..8 * page).map(|i| (i % 251) as u8).collect();
    f.write(0, &data);
    let view = f.bytes(100, 5000);
    assert_eq!(f.present_pages(0, 8 * page), 8);
    f.release_resident(0, 8 * page).unwrap();
    assert_eq!(f.present_pages(0, 8 * page), 0, "out of our page tables");
    assert!(f.is_resident(0, 8 * page), "still in the page cache");
    assert_eq!(f.read(0, 8 * page), &data[..], "identical after release");
    assert_eq!(
        &view[..],
        &data[100..5100],
        "a view taken before stays valid"
    );
    // A partly covered page is kept; a released page takes writes that reach the file.
    f.release_resident(10, 2 * page).unwrap();
    assert_eq!(f.present_pages(0, 3 * page), 2, "only page 1 was whole");
    f.write(page + 7, b"after");
    f.release_resident(0, 16 * page).unwrap();
    assert_eq!(f.read(page + 7, 5), b"after");
    f.flush().unwrap();
    let on_disk = std::fs::read(&p).unwrap();
    assert_eq!(&on_disk[page + 7..page + 12], b"after");
    assert_eq!(&on_disk[..page], &data[..page]);
    // Nothing whole inside: a no-op.
    f.release_resident(1, 10).unwrap();
}

#[test]
fn map_write_read_bytes() {
    let dir = crate::testutil::TempDir::new("mmap");
    let p = dir.path().join("f");
    let f = Arc::new(MappedFile::create(&p, 8192, 8192).unwrap());
    f.write(10, b"hello");
    let b = f.bytes(10, 5);
    assert_eq!(&b[..], b"hello");
    f.flush_range(0, 4096).unwrap();
    drop(f);
    assert_eq!(&b[..], b"hello", "view outlives the handle");
    let g = MappedFile::open(&p).unwrap();
    assert_eq!(g.len(), 8192);
    assert_eq!(g.read(10, 5), b"hello");
    assert!(
        MappedFile::create(&p, 8192, 0).is_err(),
        "create_new refuses existing"
    );
}

#[test]
fn holes_are_read_without_mapping_them_in() {
    let dir = crate::testutil::TempDir::new("mmap-holes");
    let p = dir.path().join("f");
    let page = page_size();
    let f = MappedFile::create(&p, (64 * page) as u64, 0).unwrap();
    assert_eq!(f.reserved(), 0, "sparse");
    f.reserve(10, 3 * page).unwrap();
    assert_eq!(f.reserved(), 3 * page, "reserved ahead");
    f.reserve(2 * page, 3 * page).unwrap();
    assert_eq!(
        f.reserved(),
        3 * page,
        "nothing to do below the reservation"
    );
    f.write(5, b"abc");
    f.flush().unwrap();
    // Data written through the mapping is data; the never-written rest is a hole (where
    // the filesystem can tell).
    let end = f.data_end(0);
    assert!(end >= page && end % page == 0, "{end}");
    if end < f.len() {
        assert_eq!(f.next_data(end), None, "only holes after the data");
        assert_eq!(f.read_safe(end, 8).unwrap().as_ref(), &[0u8; 8]);
        assert!(matches!(f.read_safe(end, 8).unwrap(), Cow::Owned(_)));
    }
    assert!(matches!(
        f.read_safe(4, 4).unwrap(),
        Cow::Borrowed(b"\0abc")
    ));
    assert_eq!(f.read_safe(page - 2, 4).unwrap().len(), 4);
    assert!(f.any_nonzero(0, f.len()));
    assert!(!f.any_nonzero(8, f.len() - 8));
    // Data past a hole is found.
    f.reserve(f.len(), f.len()).unwrap();
    f.write(40 * page + 1, b"z");
    assert!(f.any_nonzero(8, f.len() - 8));
    assert!(!f.any_nonzero(8, 40 * page - 8));
    assert_eq!(f.reserved(), f.len());
}

#[test]
fn lock_conflicts_within_process() {
    let dir = crate::testutil::TempDir::new("lock");
    let p = dir.path().join("lock");
    let a = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&p)
        .unwrap();
    let b = OpenOptions::new().read(true).write(true).open(&p).unwrap();
    assert!(try_lock_byte0(&a).unwrap());
    assert!(!try_lock_byte0(&b).unwrap());
    drop(a);
    assert!(try_lock_byte0(&b).unwrap());
}

#[test]
fn disk_ratio_in_range() {
    let r = disk_used_ratio(Path::new("/"));
    assert!((0.0..=1.0).contains(&r));
    assert_eq!(r, (r * 100.0).round() / 100.0, "whole percent");
    assert_eq!(disk_used_ratio(Path::new("/no/such/dir")), -1.0);
}
