//! Where things are: the repository, the `.cache/` that `compat-tests/setup.sh` fills, the
//! Java classpaths, our release binaries and the per-run work directories.

use std::path::{Path, PathBuf};

/// The repository root (the workspace directory).
pub fn repo_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// `.cache/` at the repository root (git-ignored).
pub fn cache_dir() -> PathBuf {
    repo_root().join(".cache")
}

/// A runtime classpath resolved by setup.sh, as a `dir/*` wildcard entry:
/// `classpath("broker-5.3.3")`, `classpath("client-4.9.8")`, `classpath("tools-5.3.3")`.
pub fn classpath(name: &str) -> String {
    format!("{}/*", cache_dir().join("java").join(name).display())
}

/// Our compiled Java driver classes for one source set (`client-5.3.3`, `golden-5.3.3`, …).
pub fn driver_classes(set: &str) -> PathBuf {
    cache_dir().join("java").join("classes").join(set)
}

/// The jar of one driver set: what goes on a classpath.
pub fn driver_jar(set: &str) -> PathBuf {
    driver_classes(set).join("driver.jar")
}

/// The classpath of our Java driver on Java client `version` (`5.3.3`, `4.9.8`).
pub fn driver_classpath(version: &str) -> String {
    format!(
        "{}:{}",
        driver_jar(&format!("client-{version}")).display(),
        classpath(&format!("client-{version}"))
    )
}

/// The class-data-sharing archive setup.sh recorded for JVMs with this classpath, when there is
/// one: the NameServer and broker 5.3.3 and the drivers on clients 5.3.3 and 4.9.8.
pub fn cds_archive(cp: &str) -> Option<PathBuf> {
    let recorded = [
        ("namesrv-5.3.3", classpath("namesrv-5.3.3")),
        ("broker-5.3.3", classpath("broker-5.3.3")),
        ("client-5.3.3", driver_classpath("5.3.3")),
        ("client-4.9.8", driver_classpath("4.9.8")),
    ];
    let (name, _) = recorded.iter().find(|(_, c)| c == cp)?;
    let archive = cache_dir()
        .join("java")
        .join("cds")
        .join(format!("{name}.jsa"));
    archive.exists().then_some(archive)
}

/// The Go driver binary.
pub fn go_driver() -> PathBuf {
    cache_dir().join("go").join("godriver")
}

/// Our driver of the Go 5.x gRPC SDK (`compat-tests/go5`).
pub fn go5_driver() -> PathBuf {
    cache_dir().join("go").join("go5driver")
}

/// Where setup.sh installs the Python 5.x gRPC SDK (PyPI `rocketmq-python-client` and its pinned
/// dependencies): the `PYTHONPATH` of [`sdk5_driver`].
pub fn python5_sdk_dir() -> PathBuf {
    cache_dir().join("python5")
}

/// The Python 5.x gRPC SDK's driver script (`compat-tests/python/sdk5driver.py`).
pub fn sdk5_driver() -> PathBuf {
    repo_root()
        .join("compat-tests")
        .join("python")
        .join("sdk5driver.py")
}

/// Where setup.sh installs the C++ client (the PyPI package `rocketmq`, which bundles
/// librocketmq): the `PYTHONPATH` of the C++ driver.
pub fn cpp_client_dir() -> PathBuf {
    cache_dir().join("python")
}

/// The C++ driver script (`compat-tests/python/cppdriver.py`).
pub fn cpp_driver() -> PathBuf {
    repo_root()
        .join("compat-tests")
        .join("python")
        .join("cppdriver.py")
}

/// A binary of this workspace (`mqnamesrv`, `mqbroker`, `thrust`) built with the profile of the
/// running test program, beside it in `target/<profile>/`: `./test` builds both with the `suite`
/// profile, `cargo test --release` both with `release`.
pub fn workspace_bin(name: &str) -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.to_path_buf()))
        .filter(|dir| dir.join("deps").is_dir())
        .unwrap_or_else(|| repo_root().join("target").join("release"))
        .join(name)
}

/// [`workspace_bin`], which must have been built.
pub fn require_workspace_bin(name: &str) -> PathBuf {
    let bin = workspace_bin(name);
    assert!(
        bin.exists(),
        "{} is not built (cargo build --bins with the test program's profile: --profile suite \
         or --release)",
        bin.display()
    );
    bin
}

/// The supervisor script that ties a server's life to the test process.
pub fn supervise_script() -> PathBuf {
    repo_root()
        .join("compat-tests")
        .join("scripts")
        .join("supervise.sh")
}

/// Fails with a clear message when setup.sh has not been run.
pub fn require_setup() {
    let needed = [
        cache_dir()
            .join("java")
            .join("namesrv-5.3.3")
            .join(".complete"),
        cache_dir()
            .join("java")
            .join("broker-5.3.3")
            .join(".complete"),
        cache_dir()
            .join("java")
            .join("tools-5.3.3")
            .join(".complete"),
        driver_classes("client-5.3.3").join(".stamp"),
        driver_classes("client-4.9.8").join(".stamp"),
        driver_classes("admin-5.3.3").join(".stamp"),
        cache_dir()
            .join("java")
            .join("proxy-5.3.3")
            .join(".complete"),
        driver_classes("grpc-5.0.8").join(".stamp"),
        go_driver(),
        go5_driver(),
        cpp_client_dir().join(".stamp"),
        python5_sdk_dir().join(".stamp"),
    ];
    for path in needed {
        assert!(
            path.exists(),
            "{} is missing: run compat-tests/setup.sh (./test does) first",
            path.display()
        );
    }
}

/// A fresh work directory for one process under `target/compat-work/<pid>/`, where logs stay
/// after the run. Directories of test processes that no longer exist are removed on first use
/// once they are an hour old, so the logs of a failed run outlive the test binaries after it.
pub fn work_dir(label: &str) -> PathBuf {
    static CLEANED: std::sync::Once = std::sync::Once::new();
    let base = repo_root().join("target").join("compat-work");
    CLEANED.call_once(|| remove_stale(&base));
    fresh_dir(&base, label)
}

/// A fresh directory for a broker store of one process: under `$THRUST_COMPAT_STORE_ROOT/<pid>/`
/// when that is set (e.g. a tmpfs such as `/dev/shm/thrust-compat`, so that scenarios which
/// write much do not depend on the fill level of a shared disk: brokers refuse sends above
/// 90 % usage), else a [`work_dir`]. Stale directories are removed as `work_dir`'s are.
pub fn store_dir(label: &str) -> PathBuf {
    static CLEANED: std::sync::Once = std::sync::Once::new();
    match std::env::var_os("THRUST_COMPAT_STORE_ROOT").filter(|v| !v.is_empty()) {
        Some(root) => {
            let base = PathBuf::from(root);
            CLEANED.call_once(|| remove_stale(&base));
            fresh_dir(&base, label)
        }
        None => work_dir(label),
    }
}

fn fresh_dir(base: &Path, label: &str) -> PathBuf {
    let own = base.join(std::process::id().to_string());
    for n in 0.. {
        let dir = own.join(format!("{label}-{n}"));
        if std::fs::create_dir_all(own.as_path()).is_ok() && std::fs::create_dir(&dir).is_ok() {
            return dir;
        }
        assert!(
            n < 10_000,
            "cannot create a work directory under {}",
            own.display()
        );
    }
    unreachable!("the loop above returns or panics")
}

fn remove_stale(base: &Path) {
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let alive = name
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
            .is_some_and(|pid| Path::new(&format!("/proc/{pid}")).exists());
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > std::time::Duration::from_secs(3600));
        if !alive && old {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}
