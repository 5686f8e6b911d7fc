//! What the three programs share: Java's command-line forms, logging, signals and the console
//! timestamp Java's start-up printing uses.
//!
//! * `mqnamesrv`: the NameServer (`NamesrvStartup`'s command line).
//! * `mqbroker`: the Broker (`BrokerStartup`'s command line).
//! * `thrust`: NameServer and Broker in one process on 127.0.0.1:9876 / :10911.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::process::ExitCode;

mod alloc;

/// mimalloc ([`alloc`] says why and how).
#[global_allocator]
static ALLOCATOR: alloc::Allocator = alloc::Allocator;

/// One option of a commons-cli command line: short letter, long name, whether it takes a value.
pub struct Opt {
    pub short: char,
    pub long: &'static str,
    pub takes_value: bool,
}

impl Opt {
    /// An option followed by a value (`-c file`).
    pub const fn value(short: char, long: &'static str) -> Self {
        Self {
            short,
            long,
            takes_value: true,
        }
    }

    /// A flag (`-p`).
    pub const fn flag(short: char, long: &'static str) -> Self {
        Self {
            short,
            long,
            takes_value: false,
        }
    }
}

/// `-c/--configFile <file>`, common to the Java startup classes.
pub const CONFIG_FILE: Opt = Opt::value('c', "configFile");
/// `-h/--help`.
pub const HELP: Opt = Opt::flag('h', "help");
/// `-n/--namesrvAddr <a:p;b:p>`.
pub const NAMESRV_ADDR: Opt = Opt::value('n', "namesrvAddr");
/// `-p/--printConfigItem`.
pub const PRINT_CONFIG_ITEM: Opt = Opt::flag('p', "printConfigItem");

/// Options as given: short letter → value (`""` for a flag), last occurrence winning.
#[derive(Debug, Default)]
pub struct Args(BTreeMap<char, String>);

impl Args {
    pub fn value(&self, short: char) -> Option<&str> {
        self.0.get(&short).map(String::as_str)
    }

    pub fn has(&self, short: char) -> bool {
        self.0.contains_key(&short)
    }
}

/// Parses the forms Apache commons-cli's `DefaultParser` accepts for these options: `-c file`,
/// `-cfile`, `--configFile file`, `--configFile=file`. Stray words are ignored, as the Java
/// startup classes never look at them.
pub fn parse_args(argv: &[String], opts: &[Opt]) -> Result<Args, String> {
    let mut args = Args::default();
    let mut it = argv.iter();
    while let Some(arg) = it.next() {
        let Some((opt, attached)) = match_option(arg, opts)? else {
            continue;
        };
        let value = match (opt.takes_value, attached) {
            (false, _) => String::new(),
            (true, Some(v)) => v,
            (true, None) => it
                .next()
                .cloned()
                .ok_or_else(|| format!("Missing argument for option: {}", opt.short))?,
        };
        args.0.insert(opt.short, value);
    }
    Ok(args)
}

/// The gRPC endpoint's options (Java's `mqbroker` script: `--enable-proxy` starts
/// `ProxyStartup -pm local`, which reads `-pc/--proxyConfigPath <file>`).
#[derive(Debug, Default)]
pub struct ProxyArgs {
    pub enabled: bool,
    pub file: Option<String>,
}

impl ProxyArgs {
    /// The endpoint's config when it is on: the file's keys, or Java's defaults.
    pub fn config(&self) -> Result<Option<broker::grpc::ProxyConfig>, String> {
        if !self.enabled {
            if let Some(f) = &self.file {
                return Err(format!("-pc {f} is read only with --enable-proxy"));
            }
            return Ok(None);
        }
        match &self.file {
            Some(f) => broker::grpc::ProxyConfig::load(f).map(Some),
            None => Ok(Some(broker::grpc::ProxyConfig::default())),
        }
    }
}

/// Takes the gRPC endpoint's options out of `argv`: their two-letter short form does not fit
/// [`parse_args`]' one-letter options.
pub fn split_proxy_args(argv: Vec<String>) -> (Vec<String>, ProxyArgs) {
    let mut rest = Vec::with_capacity(argv.len());
    let mut proxy = ProxyArgs::default();
    let mut it = argv.into_iter();
    while let Some(a) = it.next() {
        if a == "--enable-proxy" {
            proxy.enabled = true;
        } else if a == "-pc" || a == "--proxyConfigPath" {
            proxy.file = it.next();
        } else if let Some(v) = a.strip_prefix("--proxyConfigPath=") {
            proxy.file = Some(v.to_string());
        } else {
            rest.push(a);
        }
    }
    (rest, proxy)
}

/// The process's own command line as a Java startup class reacts to it: a refused option prints
/// the error (stderr) and `usage` (stdout), exit `bad_code`; `-h` prints `usage`, exit 0.
pub fn command_line(opts: &[Opt], usage: &str, bad_code: u8) -> Result<Args, ExitCode> {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let args = parse_args(&argv, opts).map_err(|e| {
        eprintln!("{e}");
        println!("{usage}");
        ExitCode::from(bad_code)
    })?;
    if args.has('h') {
        println!("{usage}");
        return Err(ExitCode::SUCCESS);
    }
    Ok(args)
}

fn match_option<'a>(
    arg: &str,
    opts: &'a [Opt],
) -> Result<Option<(&'a Opt, Option<String>)>, String> {
    if let Some(long) = arg.strip_prefix("--") {
        let (name, inline) = match long.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (long, None),
        };
        return match opts.iter().find(|o| o.long == name) {
            Some(o) => Ok(Some((o, inline))),
            None => Err(format!("Unrecognized option: {arg}")),
        };
    }
    let Some(short) = arg.strip_prefix('-') else {
        return Ok(None);
    };
    let mut chars = short.chars();
    let letter = chars.next();
    let rest = chars.as_str();
    match opts.iter().find(|o| Some(o.short) == letter) {
        Some(o) if rest.is_empty() => Ok(Some((o, None))),
        Some(o) if o.takes_value => Ok(Some((o, Some(rest.to_string())))),
        _ => Err(format!("Unrecognized option: {arg}")),
    }
}

/// What Java's start scripts do when `ROCKETMQ_HOME` is unset: the directory above the one
/// holding the program (these binaries stand in for the script and the JVM together).
pub fn home_from_executable() -> Option<String> {
    let exe = std::env::current_exe().ok()?.canonicalize().ok()?;
    let home = exe.parent()?.parent()?;
    Some(home.to_string_lossy().into_owned())
}

/// Now as `yyyy-MM-dd HH:mm:ss` in GMT+8, the zone Java's console log pattern fixes
/// (`%d{yyy-MM-dd HH:mm:ss,GMT+8}`), for the `-p`/`-m` listings.
pub fn console_timestamp() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
        + 8 * 3600;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = remoting::jfmt::civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The `-p`/`-m` listing: Java prints it through its console logger
/// (`%d{yyy-MM-dd HH:mm:ss,GMT+8} %p %t - %m`), one timestamp for the whole listing.
pub fn print_config_items(lines: impl IntoIterator<Item = String>) {
    let stamp = console_timestamp();
    for line in lines {
        println!("{stamp} INFO main - {line}");
    }
}

/// Logs to stderr and, like Java, to `~/logs/rocketmqlogs/<file>` when it can be opened (the
/// quick start tells users to `tail -f` it for the boot line). `RUST_LOG` filters; without it
/// INFO and above are logged, less openraft's line per failed try to reach a controller peer
/// (the controller warns about an unreachable peer itself).
pub fn init_logging(file: &str) {
    use tracing_subscriber::fmt::writer::MakeWriterExt;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        let directives = std::iter::once("info")
            .chain(controller::raft::network::LOG_DIRECTIVES.iter().copied());
        tracing_subscriber::EnvFilter::new(directives.collect::<Vec<_>>().join(","))
    });
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match open_log_file(file) {
        Some(f) => builder
            .with_ansi(false)
            .with_writer(std::io::stderr.and(std::sync::Arc::new(f)))
            .init(),
        None => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .with_writer(std::io::stderr)
            .init(),
    }
}

fn open_log_file(file: &str) -> Option<std::fs::File> {
    let home = std::env::var_os("HOME")?;
    let dir = std::path::PathBuf::from(home)
        .join("logs")
        .join("rocketmqlogs");
    std::fs::create_dir_all(&dir).ok()?;
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(file))
        .ok()
}

/// Installs the SIGTERM/SIGINT handlers now (so a signal right after the boot line is not
/// fatal); the returned future completes on either signal.
pub fn stop_signal() -> std::io::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    })
}

/// Completes on SIGTERM or SIGINT (see [`stop_signal`]).
pub type Stop = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Runs a server to its end on a multi-threaded runtime (worker threads named `thread_name`).
/// The signal handlers are installed before `body` starts it, and `body` returns once the
/// [`Stop`] it is handed completes and it has shut down. Exit code 0 then; otherwise the error
/// goes to stderr and the log (`what` says which server stopped) and the code is 255, as Java's
/// startup classes `System.exit(-1)`.
pub fn serve<F, Fut>(thread_name: Option<&str>, what: &str, body: F) -> ExitCode
where
    F: FnOnce(Stop) -> Fut,
    Fut: Future<Output = Result<(), String>>,
{
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.enable_all();
    if let Some(name) = thread_name {
        builder.thread_name(name);
    }
    let outcome = builder.build().map_err(|e| e.to_string()).and_then(|rt| {
        rt.block_on(async move {
            let stop = stop_signal().map_err(|e| e.to_string())?;
            body(Box::pin(stop)).await
        })
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            tracing::error!(error = %e, "{what}");
            ExitCode::from(255)
        }
    }
}

/// The process's TLS settings, as Java's scripts pass them: `-Dtls.*` words in `$JAVA_OPT` and
/// `$JAVA_OPT_EXT`, then the `tls.config.file` file (see `remoting::tls::settings`).
pub fn init_tls() -> Result<&'static remoting::tls::TlsSettings, String> {
    let settings = remoting::tls::TlsSettings::from_env().map_err(|e| e.to_string())?;
    Ok(remoting::tls::init(settings))
}

/// The boot-success line start scripts wait for: printed to stdout and logged.
pub fn announce(tip: &str) {
    tracing::info!("{tip}");
    println!("{tip}");
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPTS: &[Opt] = &[CONFIG_FILE, PRINT_CONFIG_ITEM];

    fn parse(words: &[&str]) -> Result<Args, String> {
        let argv: Vec<String> = words.iter().map(|s| s.to_string()).collect();
        parse_args(&argv, OPTS)
    }

    #[test]
    fn commons_cli_forms() {
        for form in [
            &["-c", "a.conf"][..],
            &["-ca.conf"],
            &["--configFile", "a.conf"],
            &["--configFile=a.conf"],
        ] {
            let args = parse(form).expect("parses");
            assert_eq!(args.value('c'), Some("a.conf"), "{form:?}");
        }
        let args = parse(&["stray", "-p"]).expect("parses");
        assert!(args.has('p'));
        assert!(!args.has('c'));
    }

    #[test]
    fn refusals_name_the_option() {
        assert_eq!(
            parse(&["-x"]).err().as_deref(),
            Some("Unrecognized option: -x")
        );
        assert_eq!(
            parse(&["--nope"]).err().as_deref(),
            Some("Unrecognized option: --nope")
        );
        assert_eq!(
            parse(&["-c"]).err().as_deref(),
            Some("Missing argument for option: c")
        );
        assert_eq!(
            parse(&["-pq"]).err().as_deref(),
            Some("Unrecognized option: -pq")
        );
    }

    #[test]
    fn timestamp_dates() {
        assert_eq!(console_timestamp().len(), 19);
    }
}
