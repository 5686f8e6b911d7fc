//! `mqnamesrv`: the NameServer, started with Java `NamesrvStartup`'s command line.
//!
//! ```text
//! usage: mqnamesrv [-c <arg>] [-h] [-n <arg>] [-p]
//! ```
//! * `-c/--configFile <file>`: Java properties (`NamesrvConfig`/`NettyServerConfig` keys such as
//!   `listenPort`, `kvConfigPath`, `orderMessageEnable`); the file also becomes `configStorePath`.
//! * `-p/--printConfigItem`: print every config item as `key=value` and exit 0.
//! * `-n/--namesrvAddr`: accepted and ignored, as by Java.
//! * `-h/--help`: usage, exit 0.
//!
//! `ROCKETMQ_HOME` defaults, as in Java's `bin/mqnamesrv` script, to the directory above the
//! binary's (Java's own "please set ROCKETMQ_HOME" exit -2 remains for when that cannot be
//! found). Once listening it prints Java's
//! `The Name Server boot success. serializeType=JSON, address <bind>:<port>` line, which start
//! scripts wait for. SIGTERM/SIGINT stop it cleanly (exit 0). Logs go to stderr and
//! `~/logs/rocketmqlogs/namesrv.log` (`RUST_LOG` filters).

use std::process::ExitCode;

use namesrv::{ConfigState, NamesrvConfig};

const USAGE: &str = "usage: mqnamesrv [-c <arg>] [-h] [-n <arg>] [-p]
 -c,--configFile <arg>    Name server config properties file
 -h,--help                Print help
 -n,--namesrvAddr <arg>   Name server address list, eg: '192.168.0.1:9876;192.168.0.2:9876'
 -p,--printConfigItem     Print all config items";

/// The parsed command line.
#[derive(Debug, Default)]
struct Args {
    config_file: Option<String>,
    print_config: bool,
    help: bool,
}

/// Parses options the way Apache commons-cli's `DefaultParser` does for these four options:
/// `-c file`, `-cfile`, `--configFile file`, `--configFile=file`.
fn parse_args(argv: &[String]) -> Result<Args, String> {
    let mut args = Args::default();
    let mut it = argv.iter();
    while let Some(arg) = it.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if arg.starts_with("--") => (n, Some(v.to_string())),
            _ => (arg.as_str(), None),
        };
        let (key, attached) = match name {
            "-c" | "--configFile" => ('c', inline),
            "-n" | "--namesrvAddr" => ('n', inline),
            "-p" | "--printConfigItem" => ('p', None),
            "-h" | "--help" => ('h', None),
            s if s.starts_with("-c") && !s.starts_with("--") => ('c', Some(s[2..].to_string())),
            s if s.starts_with("-n") && !s.starts_with("--") => ('n', Some(s[2..].to_string())),
            s if s.starts_with('-') => return Err(format!("Unrecognized option: {s}")),
            // commons-cli keeps stray arguments; NamesrvStartup never looks at them.
            _ => continue,
        };
        match key {
            'c' | 'n' => {
                let value = match attached {
                    Some(v) => v,
                    None => it
                        .next()
                        .cloned()
                        .ok_or_else(|| format!("Missing argument for option: {key}"))?,
                };
                if key == 'c' {
                    args.config_file = Some(value);
                }
            }
            'p' => args.print_config = true,
            _ => args.help = true,
        }
    }
    Ok(args)
}

/// Builds the config: Java defaults, then the `-c` file.
fn load_config(args: &Args) -> Result<ConfigState, String> {
    let mut state = ConfigState::default();
    if state.config.rocketmq_home.is_none() {
        state.config.rocketmq_home = home_from_executable();
    }
    let Some(file) = &args.config_file else {
        return Ok(state);
    };
    let text = std::fs::read_to_string(file).map_err(|e| format!("{file}: {e}"))?;
    let entries = namesrv::props::parse(&text);
    state.extra = state
        .config
        .apply(&entries)
        .map_err(|e| format!("{file}: {e}"))?;
    for key in state.extra.keys() {
        tracing::warn!(key = %key, file = %file, "unknown config key, ignored");
    }
    state.config.config_store_path = file.clone();
    println!("load config properties file OK, {file}");
    Ok(state)
}

/// What Java's `bin/mqnamesrv` script does when `ROCKETMQ_HOME` is unset: the directory above
/// the one holding the program (this binary stands in for the script and the JVM together).
fn home_from_executable() -> Option<String> {
    let exe = std::env::current_exe().ok()?.canonicalize().ok()?;
    let home = exe.parent()?.parent()?;
    Some(home.to_string_lossy().into_owned())
}

/// `-p` output: Java prints through its console logger (`%d{yyy-MM-dd HH:mm:ss,GMT+8} %p %t - %m`).
fn print_config(config: &NamesrvConfig) {
    let stamp = java_console_timestamp();
    for line in config.print_lines() {
        println!("{stamp} INFO main - {line}");
    }
}

/// Current time as `yyyy-MM-dd HH:mm:ss` in GMT+8, like Java's console log pattern.
fn java_console_timestamp() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
        + 8 * 3600;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Java's log file, `~/logs/rocketmqlogs/namesrv.log` (`rmq.namesrv.logback.xml`); the quick
/// start tells users to `tail -f` it for the boot line. `None` if it cannot be opened.
fn open_log_file() -> Option<std::fs::File> {
    let home = std::env::var_os("HOME")?;
    let dir = std::path::PathBuf::from(home)
        .join("logs")
        .join("rocketmqlogs");
    std::fs::create_dir_all(&dir).ok()?;
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("namesrv.log"))
        .ok()
}

/// Logs to stderr and, like Java, to `~/logs/rocketmqlogs/namesrv.log`; `RUST_LOG` filters.
fn init_logging() {
    use tracing_subscriber::fmt::writer::MakeWriterExt;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match open_log_file() {
        Some(file) => builder
            .with_ansi(false)
            .with_writer(std::io::stderr.and(std::sync::Arc::new(file)))
            .init(),
        None => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .with_writer(std::io::stderr)
            .init(),
    }
}

fn main() -> ExitCode {
    init_logging();

    let argv: Vec<String> = std::env::args().skip(1).collect();
    let args = match parse_args(&argv) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            println!("{USAGE}");
            return ExitCode::from(1);
        }
    };
    if args.help {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let state = match load_config(&args) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(255);
        }
    };
    if args.print_config {
        print_config(&state.config);
        return ExitCode::SUCCESS;
    }
    if state.config.rocketmq_home.is_none() {
        println!("Please set the ROCKETMQ_HOME variable in your environment to match the location of the RocketMQ installation");
        return ExitCode::from(254);
    }
    for line in state.config.print_lines() {
        tracing::info!("{line}");
    }
    match run(state) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            tracing::error!(error = %e, "the Name Server stopped");
            ExitCode::from(255)
        }
    }
}

fn run(state: ConfigState) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("NSServer")
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        // Handlers first: a SIGTERM right after the boot line must not kill the process.
        let stop = stop_signal().map_err(|e| e.to_string())?;
        let bind = state.config.bind_address.clone();
        let running = namesrv::start(state).await.map_err(|e| e.to_string())?;
        let tip = format!(
            "The Name Server boot success. serializeType=JSON, address {bind}:{}",
            running.local_addr.port()
        );
        tracing::info!("{tip}");
        println!("{tip}");
        stop.await;
        tracing::info!("shutdown signal received, stopping the Name Server");
        running.shutdown().await;
        Ok(())
    })
}

/// Installs the SIGTERM/SIGINT handlers now; the returned future completes on either signal.
fn stop_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn argv(s: &[&str]) -> Vec<String> {
        s.iter().map(|a| a.to_string()).collect()
    }

    #[test]
    fn parses_commons_cli_forms() {
        let a = parse_args(&argv(&["-c", "conf/namesrv.conf", "-n", "x:9876"])).unwrap();
        assert_eq!(a.config_file.as_deref(), Some("conf/namesrv.conf"));
        let a = parse_args(&argv(&["--configFile=f.conf", "-p"])).unwrap();
        assert_eq!(a.config_file.as_deref(), Some("f.conf"));
        assert!(a.print_config);
        assert_eq!(
            parse_args(&argv(&["-cf.conf"]))
                .unwrap()
                .config_file
                .as_deref(),
            Some("f.conf")
        );
        assert!(parse_args(&argv(&["--help"])).unwrap().help);
        assert_eq!(
            parse_args(&argv(&["-x"])).unwrap_err(),
            "Unrecognized option: -x"
        );
        assert_eq!(
            parse_args(&argv(&["-c"])).unwrap_err(),
            "Missing argument for option: c"
        );
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }
}
