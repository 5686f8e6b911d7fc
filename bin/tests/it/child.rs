//! Server processes under a deadline: whatever a test waits for from a child (a line on its
//! stdout, its exit, its whole output) comes within [`DEADLINE`], or the child is killed and the
//! test fails showing what it printed. No test can hang the suite on a server that keeps
//! running.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, ExitStatus, Output, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The longest any one wait on a child may take.
pub const DEADLINE: Duration = Duration::from_secs(60);

/// A running child whose stdout and stderr are read as they come; killed when dropped.
pub struct Child {
    child: std::process::Child,
    what: String,
    lines: Receiver<String>,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
    readers: Vec<JoinHandle<()>>,
}

impl Child {
    pub fn spawn(cmd: &mut Command) -> Child {
        let what = format!("{cmd:?}");
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, lines) = mpsc::channel();
        let stdout = Arc::<Mutex<String>>::default();
        let stderr = Arc::<Mutex<String>>::default();
        let out = child.stdout.take().unwrap();
        let err = child.stderr.take().unwrap();
        let readers = vec![
            collect(out, stdout.clone(), Some(tx)),
            collect(err, stderr.clone(), None),
        ];
        Child {
            child,
            what,
            lines,
            stdout,
            stderr,
            readers,
        }
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Waits for a stdout line that `wanted` accepts and returns it.
    pub fn line(&mut self, wanted: impl Fn(&str) -> bool) -> String {
        let until = Instant::now() + DEADLINE;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if wanted(&line) => return line,
                Ok(_) => {}
                Err(RecvTimeoutError::Timeout) => self.fail("the line never came"),
                Err(RecvTimeoutError::Disconnected) => self.fail("stdout closed before the line"),
            }
        }
    }

    /// Waits until `wanted` accepts everything the child wrote to stderr so far.
    pub fn stderr_until(&mut self, wanted: impl Fn(&str) -> bool) {
        let until = Instant::now() + DEADLINE;
        while !wanted(&self.stderr()) {
            if Instant::now() > until {
                self.fail("stderr never showed what was waited for");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGTERM, as a service manager stops a server.
    pub fn terminate(&self) {
        let sent = Command::new("kill")
            .arg("-TERM")
            .arg(self.id().to_string())
            .status()
            .unwrap();
        assert!(sent.success());
    }

    /// Waits for the child to exit; its output is complete afterwards.
    pub fn wait(&mut self) -> ExitStatus {
        let until = Instant::now() + DEADLINE;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                for reader in self.readers.drain(..) {
                    let _ = reader.join();
                }
                return status;
            }
            if Instant::now() > until {
                self.fail("it did not exit");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn stdout(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    fn fail(&mut self, why: &str) -> ! {
        let _ = self.child.kill();
        let _ = self.child.wait();
        panic!(
            "{}: {why} within {DEADLINE:?}\nstdout:\n{}\nstderr:\n{}",
            self.what,
            self.stdout(),
            self.stderr()
        );
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads `from` to its end into `into`, passing each line on to `lines` when given.
fn collect(
    from: impl Read + Send + 'static,
    into: Arc<Mutex<String>>,
    lines: Option<mpsc::Sender<String>>,
) -> JoinHandle<()> {
    std::thread::spawn(move || {
        for line in BufReader::new(from).lines().map_while(Result::ok) {
            {
                let mut all = into.lock().unwrap();
                all.push_str(&line);
                all.push('\n');
            }
            if let Some(tx) = &lines {
                let _ = tx.send(line);
            }
        }
    })
}

/// Runs `cmd` to its end, as [`Command::output`] but under the deadline.
pub fn run(cmd: &mut Command) -> Output {
    let mut child = Child::spawn(cmd);
    let status = child.wait();
    Output {
        status,
        stdout: child.stdout().into_bytes(),
        stderr: child.stderr().into_bytes(),
    }
}

/// Waits for a child started elsewhere (its output redirected) to exit, killing it and failing
/// the test past the deadline.
pub fn wait_exit(child: &mut std::process::Child, what: &str) -> ExitStatus {
    let until = Instant::now() + DEADLINE;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > until {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} did not exit within {DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
