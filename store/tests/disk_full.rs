//! A full disk at each kind of file the store writes. Each test mounts its own small tmpfs and
//! fills it from outside the store with a filler file.
#![allow(clippy::unwrap_used)]

use store::testutil::SmallFs;
use store::StoreError;

const MIB: u64 = 1 << 20;

/// A config file persisted on a full disk: the write fails, the file and its `.bak` keep their
/// content, no temporary file is left; once space returns the next persist goes through.
#[test]
fn config_file_on_a_full_disk() {
    let fs = SmallFs::mount("full-config", 4 * MIB);
    let cf = store::ConfigFile::new(fs.path().join("config").join("topics.json"));
    let parse = |s: &str| Ok::<_, String>(s.to_string());
    cf.persist("{\"v\":1}").unwrap();
    cf.persist("{\"v\":2}").unwrap();
    fs.fill();
    let big = format!("{{\"v\":3,\"pad\":\"{}\"}}", "p".repeat(64 * 1024));
    let err = cf.persist(&big).unwrap_err();
    assert!(matches!(err, StoreError::DiskFull(_)), "{err}");
    assert_eq!(std::fs::read_to_string(cf.path()).unwrap(), "{\"v\":2}");
    assert_eq!(std::fs::read_to_string(cf.bak_path()).unwrap(), "{\"v\":1}");
    let names: Vec<String> = std::fs::read_dir(cf.path().parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
    assert_eq!(cf.load_with(parse).unwrap().as_deref(), Some("{\"v\":2}"));

    fs.free();
    cf.persist(&big).unwrap();
    assert_eq!(cf.load_with(parse).unwrap(), Some(big));
    assert_eq!(std::fs::read_to_string(cf.bak_path()).unwrap(), "{\"v\":2}");
}
