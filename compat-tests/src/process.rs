//! Spawning, bounding and stopping the processes a test drives.
//!
//! * [`Server`]: a long-running server under `scripts/supervise.sh`, which stops it when the test
//!   process is gone (even after SIGKILL), after a hard time limit, or on [`Server::stop`].
//! * [`run`]: a short command (mqadmin, a driver) under `timeout`, output captured in files.
//! * [`Background`]: a driver left running while the test does something else (a consumer).
//!
//! Every process writes into its own work directory (see [`crate::env::work_dir`]), so its logs
//! survive the run and are printed when a test fails ([`LogDump`]).

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::thread::sleep;
use std::time::{Duration, Instant};

use serde_json::Value;

/// A command line plus environment, run in a work directory.
#[derive(Clone, Debug)]
pub struct Cmd {
    pub program: String,
    pub args: Vec<String>,
    pub envs: Vec<(String, String)>,
    pub dir: PathBuf,
    /// A file fed to the command's standard input (none: /dev/null).
    pub stdin: Option<PathBuf>,
}

impl Cmd {
    pub fn new(program: impl Into<String>, dir: &Path) -> Self {
        Cmd {
            program: program.into(),
            args: Vec::new(),
            envs: Vec::new(),
            dir: dir.to_path_buf(),
            stdin: None,
        }
    }

    pub fn arg(mut self, a: impl Into<String>) -> Self {
        self.args.push(a.into());
        self
    }

    pub fn args<I: IntoIterator<Item = S>, S: Into<String>>(mut self, list: I) -> Self {
        self.args.extend(list.into_iter().map(Into::into));
        self
    }

    pub fn env(mut self, k: &str, v: impl Into<String>) -> Self {
        self.envs.push((k.to_string(), v.into()));
        self
    }

    /// Feeds `text` to the command's standard input (through a file in its work directory).
    pub fn stdin_text(mut self, text: &str) -> Self {
        let path = self.dir.join("stdin.txt");
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        self.stdin = Some(path);
        self
    }

    /// The command as one shell-like line, for failure messages.
    pub fn display(&self) -> String {
        std::iter::once(self.program.as_str())
            .chain(self.args.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn spawn_with(&self, wrapper: &[String], out: &Path, err: &Path) -> Child {
        let mut argv: Vec<String> = wrapper.to_vec();
        argv.push(self.program.clone());
        argv.extend(self.args.iter().cloned());
        let stdout = File::create(out).unwrap_or_else(|e| panic!("create {}: {e}", out.display()));
        let stderr = File::create(err).unwrap_or_else(|e| panic!("create {}: {e}", err.display()));
        Command::new(&argv[0])
            .args(&argv[1..])
            .envs(self.envs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            // Which test started the process (libtest names a test's thread after it), so the
            // machine's CPU can be charged to scenarios from /proc (`scripts/cpu-by-test.py`).
            .env(
                "THRUST_COMPAT_TEST",
                std::thread::current().name().unwrap_or("-"),
            )
            .current_dir(&self.dir)
            .stdin(match &self.stdin {
                Some(path) => Stdio::from(
                    File::open(path).unwrap_or_else(|e| panic!("open {}: {e}", path.display())),
                ),
                None => Stdio::null(),
            })
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {}: {e}", self.display()))
    }
}

/// Runs `f` on a thread of scope `s` named after the current one: a process it starts is then
/// charged to the same test (libtest names a test's thread after it; see `spawn_with`).
pub fn spawn_scoped<'scope, T: Send + 'scope>(
    s: &'scope std::thread::Scope<'scope, '_>,
    f: impl FnOnce() -> T + Send + 'scope,
) -> std::thread::ScopedJoinHandle<'scope, T> {
    let mut b = std::thread::Builder::new();
    if let Some(name) = std::thread::current().name() {
        b = b.name(name.to_string());
    }
    b.spawn_scoped(s, f)
        .unwrap_or_else(|e| panic!("spawn a thread: {e}"))
}

/// Sends a signal with the `kill` utility (the workspace denies `unsafe`, so no libc::kill).
pub fn signal(pid: u32, sig: &str) {
    let _ = Command::new("kill")
        .args([format!("-{sig}"), pid.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Waits for a child up to `timeout`; true if it exited.
fn wait_until(child: &mut Child, timeout: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        if Instant::now() >= deadline {
            return None;
        }
        sleep(Duration::from_millis(50));
    }
}

/// The result of a bounded command.
#[derive(Debug, Clone)]
pub struct Output {
    pub cmd: String,
    pub code: Option<i32>,
    pub timed_out: bool,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Output {
    /// stdout lines that are JSON objects (drivers print one per line).
    pub fn json_lines(&self) -> Vec<Value> {
        json_lines(&self.stdout)
    }

    /// Panics with the whole output unless the command exited 0 in time.
    pub fn assert_ok(&self) -> &Self {
        assert!(
            self.code == Some(0) && !self.timed_out,
            "command failed: {self}"
        );
        self
    }
}

impl std::fmt::Display for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`{}` exit={:?} timed_out={} after {:.1}s\n--- stdout ---\n{}\n--- stderr (tail) ---\n{}",
            self.cmd,
            self.code,
            self.timed_out,
            self.elapsed.as_secs_f64(),
            self.stdout,
            tail_text(&self.stderr, 60)
        )
    }
}

/// Parses the lines of `text` that are JSON objects.
pub fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .filter(|l| l.starts_with('{'))
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn timeout_wrapper(timeout: Duration) -> Vec<String> {
    vec![
        "timeout".into(),
        "-k".into(),
        "5".into(),
        format!("{}", timeout.as_secs().max(1)),
    ]
}

/// Runs a command to completion, killed after `timeout` (by `timeout(1)`, and by us as a backstop).
pub fn run(cmd: &Cmd, timeout: Duration) -> Output {
    let (out, err) = (cmd.dir.join("stdout.log"), cmd.dir.join("stderr.log"));
    let start = Instant::now();
    let mut child = cmd.spawn_with(&timeout_wrapper(timeout), &out, &err);
    let status = wait_until(&mut child, timeout + Duration::from_secs(10));
    if status.is_none() {
        let _ = child.kill();
        let _ = child.wait();
    }
    let code = status.and_then(|s| s.code());
    Output {
        cmd: cmd.display(),
        // timeout(1) exits 124 (137 after -k) when the limit hit.
        timed_out: status.is_none() || matches!(code, Some(124) | Some(137)),
        code,
        stdout: std::fs::read_to_string(&out).unwrap_or_default(),
        stderr: std::fs::read_to_string(&err).unwrap_or_default(),
        elapsed: start.elapsed(),
    }
}

/// A bounded command left running in the background; stopped when dropped.
pub struct Background {
    cmd: Cmd,
    child: Option<Child>,
    out: PathBuf,
    err: PathBuf,
    start: Instant,
}

impl Background {
    pub fn spawn(cmd: &Cmd, timeout: Duration) -> Background {
        let (out, err) = (cmd.dir.join("stdout.log"), cmd.dir.join("stderr.log"));
        let child = cmd.spawn_with(&timeout_wrapper(timeout), &out, &err);
        Background {
            cmd: cmd.clone(),
            child: Some(child),
            out,
            err,
            start: Instant::now(),
        }
    }

    /// stdout so far.
    pub fn stdout(&self) -> String {
        std::fs::read_to_string(&self.out).unwrap_or_default()
    }

    /// Waits until a JSON line satisfies `pred`; returns it, or None at the timeout or exit.
    pub fn wait_json(&mut self, timeout: Duration, pred: impl Fn(&Value) -> bool) -> Option<Value> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(v) = json_lines(&self.stdout()).into_iter().find(|v| pred(v)) {
                return Some(v);
            }
            let exited = match self.child.as_mut() {
                Some(c) => matches!(c.try_wait(), Ok(Some(_))),
                None => true,
            };
            if exited || Instant::now() >= deadline {
                // One last look: the line may have been written just before the exit.
                return json_lines(&self.stdout()).into_iter().find(|v| pred(v));
            }
            sleep(Duration::from_millis(100));
        }
    }

    /// Waits for the process to exit on its own (up to `timeout`, then stops it).
    pub fn finish(mut self, timeout: Duration) -> Output {
        let mut child = self.child.take().expect("child present until finish");
        let status = wait_until(&mut child, timeout);
        if status.is_none() {
            stop_child(&mut child);
        }
        let code = status.and_then(|s| s.code());
        Output {
            cmd: self.cmd.display(),
            timed_out: status.is_none() || matches!(code, Some(124) | Some(137)),
            code,
            stdout: self.stdout(),
            stderr: std::fs::read_to_string(&self.err).unwrap_or_default(),
            elapsed: self.start.elapsed(),
        }
    }
}

impl Background {
    /// Stops the process now (SIGTERM, then SIGKILL) and returns what it printed: for a client
    /// kept alive only while a scenario looks at it.
    pub fn stop(mut self) -> Output {
        let mut child = self.child.take().expect("child present until stop");
        stop_child(&mut child);
        Output {
            cmd: self.cmd.display(),
            timed_out: false,
            code: child.try_wait().ok().flatten().and_then(|s| s.code()),
            stdout: self.stdout(),
            stderr: std::fs::read_to_string(&self.err).unwrap_or_default(),
            elapsed: self.start.elapsed(),
        }
    }
}

fn stop_child(child: &mut Child) {
    // TERM reaches the command through timeout(1); KILL would orphan it.
    signal(child.id(), "TERM");
    if wait_until(child, Duration::from_secs(8)).is_none() {
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            stop_child(&mut child);
        }
    }
}

/// A long-running server under the supervisor script.
pub struct Server {
    pub name: String,
    pub dir: PathBuf,
    /// Files worth printing when a test fails: console output first, then server logs.
    pub logs: Vec<PathBuf>,
    supervisor: Mutex<Option<Child>>,
    pidfile: PathBuf,
}

/// The hard limit of any server's life: a run of the whole suite never needs more.
pub const SERVER_MAX_LIFETIME: Duration = Duration::from_secs(45 * 60);

impl Server {
    /// Starts `cmd` supervised; console output goes to `console.log` in `cmd.dir`.
    pub fn spawn(name: &str, cmd: &Cmd, extra_logs: Vec<PathBuf>) -> Server {
        let console = cmd.dir.join("console.log");
        let pidfile = cmd.dir.join("server.pid");
        let wrapper = vec![
            "bash".to_string(),
            crate::env::supervise_script().display().to_string(),
            std::process::id().to_string(),
            SERVER_MAX_LIFETIME.as_secs().to_string(),
            pidfile.display().to_string(),
            "--".to_string(),
        ];
        let child = cmd.spawn_with(&wrapper, &console, &cmd.dir.join("supervisor.log"));
        let mut logs = vec![console];
        logs.extend(extra_logs);
        Server {
            name: name.to_string(),
            dir: cmd.dir.clone(),
            logs,
            supervisor: Mutex::new(Some(child)),
            pidfile,
        }
    }

    /// The server process's own pid (not the supervisor's), once it is known.
    pub fn pid(&self) -> Option<u32> {
        for _ in 0..50 {
            if let Some(pid) = std::fs::read_to_string(&self.pidfile)
                .ok()
                .and_then(|s| s.trim().parse().ok())
            {
                return Some(pid);
            }
            sleep(Duration::from_millis(20));
        }
        None
    }

    /// True while the server process exists.
    pub fn is_running(&self) -> bool {
        self.pid()
            .is_some_and(|pid| Path::new(&format!("/proc/{pid}")).exists())
            && self
                .supervisor
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .as_mut()
                .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    /// Waits until the console output contains `needle`.
    pub fn wait_for_console(&self, needle: &str, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if std::fs::read_to_string(&self.logs[0]).is_ok_and(|s| s.contains(needle)) {
                return true;
            }
            if !self.is_running() {
                return false;
            }
            sleep(Duration::from_millis(100));
        }
        false
    }

    /// Graceful stop: SIGTERM (through the supervisor), SIGKILL after its grace period.
    pub fn stop(&self) {
        let mut guard = self.supervisor.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(mut sup) = guard.take() {
            signal(sup.id(), "TERM");
            if wait_until(&mut sup, Duration::from_secs(30)).is_none() {
                if let Some(pid) = self.pid() {
                    signal(pid, "KILL");
                }
                let _ = sup.kill();
                let _ = sup.wait();
            }
        }
    }

    /// Crash: SIGKILL to the server process itself (no shutdown hook runs).
    pub fn kill(&self) {
        if let Some(pid) = self.pid() {
            signal(pid, "KILL");
        }
        self.stop();
    }

    /// Peak resident set size (VmHWM) in KiB, while the process is alive.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        crate::rss::peak_rss_kib(self.pid()?)
    }

    /// The last `lines` lines of every log file, for failure reports.
    pub fn log_tails(&self, lines: usize) -> String {
        let mut s = String::new();
        for path in &self.logs {
            let text = std::fs::read_to_string(path).unwrap_or_else(|e| format!("<{e}>"));
            s.push_str(&format!(
                "=== {} {} ===\n{}\n",
                self.name,
                path.display(),
                tail_text(&text, lines)
            ));
        }
        s
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The last `n` lines of a text.
pub fn tail_text(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Prints the log tails of the given servers if the current test panics while this is alive.
pub struct LogDump<'a>(pub Vec<&'a Server>);

impl Drop for LogDump<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            for server in &self.0 {
                eprintln!("{}", server.log_tails(80));
            }
        }
    }
}

/// Reads a file's lines (for logs written by a server).
pub fn read_lines(path: &Path) -> Vec<String> {
    File::open(path)
        .map(|f| BufReader::new(f).lines().map_while(Result::ok).collect())
        .unwrap_or_default()
}
