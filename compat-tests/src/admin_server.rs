//! `mqadmin` commands run in long-lived JVMs (`thrust.compat.admin.AdminServer`): a command then
//! costs its own work, not a JVM start-up and the tool's class loading (about 0.7 s of CPU
//! each, several hundred commands a run).
//!
//! A server runs one command at a time; up to [`MAX_SERVERS`] serve the test process at once,
//! started on demand and reused. A command's answer is its stdout, stderr and exit code, as a
//! JVM of its own would have given them. A server that misses the deadline is killed and the
//! command reported timed out; when no server can start (a JVM that refuses the exit trap), the
//! command runs in a JVM of its own ([`crate::tools::mqadmin_cmd`]).

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::env::{classpath, driver_jar, work_dir};
use crate::process::Output;
use crate::servers::java_cmd;

/// At most this many commands run at once (more only make two cores miss mqadmin's 3 s RPC
/// timeouts).
pub const MAX_SERVERS: usize = 4;

/// One answer read from a server: exit code, stdout, stderr.
type Answer = (i32, Vec<u8>, Vec<u8>);

struct Server {
    child: Child,
    stdin: ChildStdin,
    answers: Receiver<Answer>,
}

struct Pool {
    idle: Vec<Server>,
    /// Servers started and not killed, idle or busy.
    live: usize,
    /// Set when a server could not start: every command runs in a JVM of its own.
    unavailable: bool,
}

static POOL: Mutex<Pool> = Mutex::new(Pool {
    idle: Vec::new(),
    live: 0,
    unavailable: false,
});
static FREED: Condvar = Condvar::new();

/// Runs `args` (ending with `-n <ns>`) in a server; None when no server can run it.
pub(crate) fn run(args: &[&str], timeout: Duration) -> Option<Output> {
    if args.iter().any(|a| a.contains(['\t', '\n', '\r'])) {
        return None;
    }
    let mut server = take()?;
    let (output, alive) = ask(&mut server, args, timeout);
    if alive {
        give(server);
    } else {
        kill(server);
    }
    Some(output)
}

/// One command in `server`: its output, and whether the server is still usable.
fn ask(server: &mut Server, args: &[&str], timeout: Duration) -> (Output, bool) {
    let display = format!("mqadmin(server) {}", args.join(" "));
    let start = Instant::now();
    let line = format!("{}\n", args.join("\t"));
    let sent = server
        .stdin
        .write_all(line.as_bytes())
        .and_then(|()| server.stdin.flush());
    let answer = match sent {
        Ok(()) => server.answers.recv_timeout(timeout),
        Err(_) => Err(RecvTimeoutError::Disconnected),
    };
    let output = |code: Option<i32>, out: &[u8], err: &[u8], timed_out: bool| Output {
        cmd: display.clone(),
        code,
        timed_out,
        stdout: String::from_utf8_lossy(out).into_owned(),
        stderr: String::from_utf8_lossy(err).into_owned(),
        elapsed: start.elapsed(),
    };
    match answer {
        Ok((code, out, err)) => (output(Some(code), &out, &err, false), true),
        Err(e) => {
            let why = match e {
                RecvTimeoutError::Timeout => "timed out",
                RecvTimeoutError::Disconnected => "the mqadmin server died",
            };
            (output(None, b"", why.as_bytes(), true), false)
        }
    }
}

/// An mqadmin server of a scenario's own, started with more JVM options: with
/// `-Drocketmq.home.dir=<dir>`, `mqadmin` signs its requests with the `accessKey` and
/// `secretKey` of `<dir>/conf/tools.yml`, read again by every command.
pub struct Session {
    server: Server,
}

impl Session {
    pub fn start(jvm: &[&str]) -> Session {
        let server = start_with(jvm).expect("an mqadmin server of the scenario's own starts");
        Session { server }
    }

    /// `mqadmin <args> -n <ns>` in this server.
    pub fn mqadmin(&mut self, ns: &str, args: &[&str]) -> Output {
        let mut all = args.to_vec();
        all.extend(["-n", ns]);
        ask(&mut self.server, &all, crate::tools::MQADMIN_TIMEOUT).0
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.server.child.kill();
        let _ = self.server.child.wait();
    }
}

fn take() -> Option<Server> {
    let mut pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        if pool.unavailable {
            return None;
        }
        if let Some(s) = pool.idle.pop() {
            return Some(s);
        }
        if pool.live < MAX_SERVERS {
            pool.live += 1;
            drop(pool);
            let started = start();
            let mut pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
            if started.is_none() {
                pool.live -= 1;
                pool.unavailable = true;
                FREED.notify_all();
            }
            return started;
        }
        pool = FREED.wait(pool).unwrap_or_else(|e| e.into_inner());
    }
}

fn give(server: Server) {
    POOL.lock()
        .unwrap_or_else(|e| e.into_inner())
        .idle
        .push(server);
    FREED.notify_one();
}

fn kill(mut server: Server) {
    let _ = server.child.kill();
    let _ = server.child.wait();
    POOL.lock().unwrap_or_else(|e| e.into_inner()).live -= 1;
    FREED.notify_one();
}

fn start() -> Option<Server> {
    start_with(&[])
}

fn start_with(jvm: &[&str]) -> Option<Server> {
    let dir = work_dir("mqadmin-server");
    let cp = format!(
        "{}:{}",
        driver_jar("admin-5.3.3").display(),
        classpath("tools-5.3.3")
    );
    // JDK 17 warns on System.setSecurityManager but allows it with this property; the server
    // traps the command line parser's System.exit with it.
    let opts = [
        &["-Xms64m", "-Xmx256m", "-Djava.security.manager=allow"][..],
        jvm,
    ]
    .concat();
    let cmd = java_cmd(&dir, &opts, &cp, "thrust.compat.admin.AdminServer");
    let stderr = std::fs::File::create(dir.join("server-stderr.log")).ok()?;
    let mut child = Command::new(&cmd.program)
        .args(&cmd.args)
        .envs(cmd.envs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .current_dir(&cmd.dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .ok()?;
    let stdin = child.stdin.take()?;
    let stdout = child.stdout.take()?;
    let (tx, answers) = channel();
    std::thread::spawn(move || {
        let mut r = BufReader::new(stdout);
        while let Some(answer) = read_answer(&mut r) {
            if tx.send(answer).is_err() {
                break;
            }
        }
    });
    let mut server = Server {
        child,
        stdin,
        answers,
    };
    // A first command proves the server runs (and loads the tool's classes before the clock of
    // a real command starts).
    let ok = server
        .stdin
        .write_all(b"\n")
        .and_then(|()| server.stdin.flush())
        .is_ok()
        && server.answers.recv_timeout(Duration::from_secs(60)).is_ok();
    if ok {
        Some(server)
    } else {
        let _ = server.child.kill();
        let _ = server.child.wait();
        None
    }
}

/// `DONE <code> <out bytes> <err bytes>\n`, then the bytes.
fn read_answer(r: &mut impl BufRead) -> Option<Answer> {
    let mut head = String::new();
    if r.read_line(&mut head).ok()? == 0 {
        return None;
    }
    let mut f = head.split_whitespace();
    if f.next()? != "DONE" {
        return None;
    }
    let code: i32 = f.next()?.parse().ok()?;
    let out_len: usize = f.next()?.parse().ok()?;
    let err_len: usize = f.next()?.parse().ok()?;
    let mut out = vec![0; out_len];
    r.read_exact(&mut out).ok()?;
    let mut err = vec![0; err_len];
    r.read_exact(&mut err).ok()?;
    Some((code, out, err))
}
