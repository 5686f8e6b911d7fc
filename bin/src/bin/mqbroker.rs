//! `mqbroker`: the Broker, started with Java `BrokerStartup`'s command line.
//!
//! ```text
//! usage: mqbroker [-c <arg>] [-h] [-m] [-n <arg>] [-p]
//! ```
//! * `-c/--configFile <file>`: broker.conf (Java properties; `BrokerConfig`, `NettyServerConfig`,
//!   `NettyClientConfig`, `MessageStoreConfig` keys); remembered as `brokerConfigPath`.
//! * `-n/--namesrvAddr <a:p;b:p>`: overrides `namesrvAddr` (validated like Java: exit -3).
//! * `-p/--printConfigItem`, `-m/--printImportantConfig`: print all / important items, exit 0.
//! * `-h/--help`: usage.
//!
//! `ROCKETMQ_HOME` must be set (exit -2), `NAMESRV_ADDR` is the default name server list. Once
//! serving it prints Java's `The broker[<name>, <ip:port>] boot success. serializeType=JSON and
//! name server is <addr>` line. SIGTERM/SIGINT: unregister, persist, flush, exit 0.

use std::process::ExitCode;

use broker::config::{validate_namesrv_addr, BrokerConfig};

const USAGE: &str = "usage: mqbroker [-c <arg>] [-h] [-m] [-n <arg>] [-p]
 -c,--configFile <arg>          Broker config properties file
 -h,--help                      Print help
 -m,--printImportantConfig      Print important config item
 -n,--namesrvAddr <arg>         Name server address list, eg: '192.168.0.1:9876;192.168.0.2:9876'
 -p,--printConfigItem           Print all config item";

#[derive(Debug, Default)]
struct Args {
    config_file: Option<String>,
    namesrv_addr: Option<String>,
    print_all: bool,
    print_important: bool,
    help: bool,
}

/// Apache commons-cli forms: `-c file`, `-cfile`, `--configFile file`, `--configFile=file`.
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
            "-m" | "--printImportantConfig" => ('m', None),
            "-h" | "--help" => ('h', None),
            s if s.starts_with("-c") && !s.starts_with("--") => ('c', Some(s[2..].to_string())),
            s if s.starts_with("-n") && !s.starts_with("--") => ('n', Some(s[2..].to_string())),
            s if s.starts_with('-') => return Err(format!("Unrecognized option: {s}")),
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
                } else {
                    args.namesrv_addr = Some(value);
                }
            }
            'p' => args.print_all = true,
            'm' => args.print_important = true,
            _ => args.help = true,
        }
    }
    Ok(args)
}

/// Java order: defaults (env `ROCKETMQ_HOME`, `NAMESRV_ADDR`), the `-c` file, then `-n`.
fn load_config(args: &Args) -> Result<BrokerConfig, (String, u8)> {
    let mut cfg = BrokerConfig {
        rocketmq_home: std::env::var("ROCKETMQ_HOME").ok(),
        namesrv_addr: std::env::var("NAMESRV_ADDR").ok(),
        ..BrokerConfig::default()
    };
    if let Some(file) = &args.config_file {
        let applied = cfg.load_file(file).map_err(|e| (e.to_string(), 255))?;
        for key in applied.unknown {
            tracing::warn!(key = %key, file = %file, "unknown config key, ignored");
        }
        cfg.broker_config_path = Some(file.clone());
        println!("load config properties file OK, {file}");
    }
    if let Some(ns) = &args.namesrv_addr {
        cfg.namesrv_addr = Some(ns.trim().to_string());
    }
    if cfg.rocketmq_home.is_none() {
        return Err((
            "Please set the ROCKETMQ_HOME variable in your environment to match the location of the RocketMQ installation".into(),
            254,
        ));
    }
    if let Some(ns) = cfg.namesrv_addr.as_deref().filter(|s| !s.trim().is_empty()) {
        validate_namesrv_addr(ns).map_err(|e| (e, 253))?;
    }
    cfg.finish().map_err(|e| (e.to_string(), 253))?;
    Ok(cfg)
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let args = match parse_args(&argv) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            println!("{USAGE}");
            return ExitCode::from(255);
        }
    };
    if args.help {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let cfg = match load_config(&args) {
        Ok(c) => c,
        Err((msg, code)) => {
            println!("{msg}");
            return ExitCode::from(code);
        }
    };
    if args.print_all || args.print_important {
        // Java prints through its console logger: `%d{yyy-MM-dd HH:mm:ss,GMT+8} %p %t - %m`.
        let stamp = console_timestamp();
        for line in cfg.print_lines(args.print_important) {
            println!("{stamp} INFO main - {line}");
        }
        return ExitCode::SUCCESS;
    }
    for line in cfg.print_lines(false) {
        tracing::debug!("{line}");
    }
    match run(cfg) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            tracing::error!(error = %e, "the broker stopped");
            ExitCode::from(255)
        }
    }
}

fn run(cfg: BrokerConfig) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("BrokerServer")
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let stop = stop_signal().map_err(|e| e.to_string())?;
        let name = cfg.broker_name.clone();
        let ns = cfg.namesrv_addr.clone().filter(|s| !s.is_empty());
        let running = broker::start(cfg).await.map_err(|e| e.to_string())?;
        let mut tip = format!(
            "The broker[{name}, {}] boot success. serializeType=JSON",
            running.addr
        );
        if let Some(ns) = ns {
            tip.push_str(&format!(" and name server is {ns}"));
        }
        tracing::info!("{tip}");
        println!("{tip}");
        stop.await;
        tracing::info!("shutdown signal received, stopping the broker");
        running.shutdown().await;
        Ok(())
    })
}

/// Now as `yyyy-MM-dd HH:mm:ss` in GMT+8 (the zone Java's broker console pattern fixes).
fn console_timestamp() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
        + 8 * 3600;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = date_of(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Civil date of a day count since 1970-01-01 (proleptic Gregorian, 400-year eras).
fn date_of(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (year_of_era + era * 400 + i64::from(month <= 2), month, day)
}

/// Installs SIGTERM/SIGINT handlers now; the future completes on either.
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
    fn civil_dates() {
        assert_eq!(date_of(0), (1970, 1, 1));
        assert_eq!(date_of(19_723), (2024, 1, 1));
        assert_eq!(date_of(11_016), (2000, 2, 29));
    }

    #[test]
    fn parses_broker_startup_forms() {
        let a = parse_args(&argv(&["-c", "conf/broker.conf", "-n", "127.0.0.1:9876"])).unwrap();
        assert_eq!(a.config_file.as_deref(), Some("conf/broker.conf"));
        assert_eq!(a.namesrv_addr.as_deref(), Some("127.0.0.1:9876"));
        let a = parse_args(&argv(&["--configFile=b.conf", "-m"])).unwrap();
        assert!(a.print_important && !a.print_all);
        assert!(parse_args(&argv(&["-p"])).unwrap().print_all);
        assert_eq!(
            parse_args(&argv(&["-z"])).unwrap_err(),
            "Unrecognized option: -z"
        );
    }
}
