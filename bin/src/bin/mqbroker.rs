//! `mqbroker`: the Broker, started with Java `BrokerStartup`'s command line.
//!
//! ```text
//! usage: mqbroker [-c <arg>] [-h] [-m] [-n <arg>] [-p] [--enable-proxy [-pc <arg>]]
//! ```
//! * `-c/--configFile <file>`: broker.conf (Java properties; `BrokerConfig`, `NettyServerConfig`,
//!   `NettyClientConfig`, `MessageStoreConfig` keys), where updates persist (Java
//!   `BrokerPathConfigHelper`; not listed as `brokerConfigPath`, as in Java). A value
//!   that does not parse, or turns on a feature Thrust does not have yet (docs/config.md), is
//!   printed naming the key, exit 255.
//! * `-n/--namesrvAddr <a:p;b:p>`: overrides `namesrvAddr` (validated like Java: exit -3).
//! * `-p/--printConfigItem`, `-m/--printImportantConfig`: print all / important items, exit 0.
//! * `-h/--help`: usage.
//! * `--enable-proxy`: also serve the 5.x gRPC SDKs (Java's `mqbroker --enable-proxy`, the proxy
//!   in local mode), on `grpcServerPort` (8081) of `brokerIP1`'s bind address; `-pc
//!   <rmq-proxy.json>` gives the proxy's keys (`ProxyConfig` names; a key Thrust does not read
//!   stops the start naming it, exit 255).
//!
//! `ROCKETMQ_HOME` must be set (exit -2), `NAMESRV_ADDR` is the default name server list. Once
//! serving it prints Java's `The broker[<name>, <ip:port>] boot success. serializeType=JSON and
//! name server is <addr>` line. SIGTERM/SIGINT: unregister, persist, flush, exit 0.

use std::process::ExitCode;

use broker::grpc::ProxyConfig;

use broker::config::{validate_namesrv_addr, BrokerConfig};
use thrust::{
    announce, init_logging, init_tls, parse_args, print_config_items, serve, split_proxy_args,
    Args, Opt, Stop, CONFIG_FILE, HELP, NAMESRV_ADDR, PRINT_CONFIG_ITEM,
};

const USAGE: &str = "usage: mqbroker [-c <arg>] [-h] [-m] [-n <arg>] [-p]
 -c,--configFile <arg>          Broker config properties file
 -h,--help                      Print help
 -m,--printImportantConfig      Print important config item
 -n,--namesrvAddr <arg>         Name server address list, eg: '192.168.0.1:9876;192.168.0.2:9876'
 -p,--printConfigItem           Print all config item
    --enable-proxy              Also serve the 5.x gRPC SDKs (the proxy in local mode)
 -pc,--proxyConfigPath <arg>    Proxy config json file (with --enable-proxy)";

const OPTS: &[Opt] = &[
    CONFIG_FILE,
    HELP,
    Opt::flag('m', "printImportantConfig"),
    NAMESRV_ADDR,
    PRINT_CONFIG_ITEM,
];

/// Java order: defaults (env `ROCKETMQ_HOME`, `NAMESRV_ADDR`), the `-c` file, then `-n`.
fn load_config(args: &Args) -> Result<BrokerConfig, (String, u8)> {
    let tls = init_tls().map_err(|e| (e, 255))?;
    let mut cfg = BrokerConfig {
        rocketmq_home: std::env::var("ROCKETMQ_HOME").ok(),
        namesrv_addr: std::env::var("NAMESRV_ADDR").ok(),
        // Java `BrokerStartup`: NettyClientConfig.useTLS is tls.enable, else whether the TLS
        // mode is enforcing; the file may still set useTLS.
        use_tls: tls.client_default(),
        ..BrokerConfig::default()
    };
    if let Some(file) = args.value('c') {
        let applied = cfg.load_file(file).map_err(|e| (e.to_string(), 255))?;
        for key in applied.unknown {
            tracing::warn!(key = %key, file = %file, "unknown config key, ignored");
        }
        cfg.config_file = Some(file.to_string());
        println!("load config properties file OK, {file}");
    }
    if let Some(ns) = args.value('n') {
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
    // A value that turns on a feature Thrust lacks stops the start like a bad value does.
    cfg.check_supported().map_err(|e| (e.to_string(), 255))?;
    cfg.finish().map_err(|e| (e.to_string(), 253))?;
    Ok(cfg)
}

fn main() -> ExitCode {
    init_logging("broker.log");
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let (argv, proxy) = split_proxy_args(argv);
    let args = match parse_args(&argv, OPTS) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            println!("{USAGE}");
            return ExitCode::from(255);
        }
    };
    if args.has('h') {
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
    let grpc = match proxy.config() {
        Ok(g) => g,
        Err(msg) => {
            println!("{msg}");
            return ExitCode::from(255);
        }
    };
    if args.has('p') || args.has('m') {
        print_config_items(cfg.print_lines(args.has('m')));
        return ExitCode::SUCCESS;
    }
    for line in cfg.print_lines(false) {
        tracing::debug!("{line}");
    }
    serve(Some("BrokerServer"), "the broker stopped", |stop| {
        run(cfg, grpc, stop)
    })
}

async fn run(cfg: BrokerConfig, grpc: Option<ProxyConfig>, stop: Stop) -> Result<(), String> {
    let name = cfg.broker_name.clone();
    let host = cfg.bind_address.clone();
    let ns = cfg.namesrv_addr.clone().filter(|s| !s.is_empty());
    let running = broker::start(cfg).await.map_err(|e| e.to_string())?;
    let endpoint = match grpc {
        Some(g) => match broker::grpc::start(running.broker.clone(), g, &host).await {
            Ok(e) => Some(e),
            Err(e) => {
                running.shutdown().await;
                return Err(e);
            }
        },
        None => None,
    };
    let mut tip = format!(
        "The broker[{name}, {}] boot success. serializeType=JSON",
        running.addr
    );
    if let Some(ns) = ns {
        tip.push_str(&format!(" and name server is {ns}"));
    }
    if let Some(e) = &endpoint {
        tip.push_str(&format!(
            "\nThe gRPC endpoint boot success, port {}",
            e.port
        ));
    }
    announce(&tip);
    stop.await;
    tracing::info!("shutdown signal received, stopping the broker");
    if let Some(e) = &endpoint {
        e.shutdown();
    }
    running.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use thrust::parse_args;

    fn argv(s: &[&str]) -> Vec<String> {
        s.iter().map(|a| a.to_string()).collect()
    }

    #[test]
    fn parses_broker_startup_forms() {
        let parse = |s: &[&str]| parse_args(&argv(s), OPTS);
        let a = parse(&["-c", "conf/broker.conf", "-n", "127.0.0.1:9876"]).unwrap();
        assert_eq!(a.value('c'), Some("conf/broker.conf"));
        assert_eq!(a.value('n'), Some("127.0.0.1:9876"));
        let a = parse(&["--configFile=b.conf", "-m"]).unwrap();
        assert!(a.has('m') && !a.has('p'));
        assert_eq!(a.value('c'), Some("b.conf"));
        assert!(parse(&["-p"]).unwrap().has('p'));
        assert!(parse(&["--printImportantConfig", "-ncustom:9876"])
            .unwrap()
            .has('m'));
        assert_eq!(parse(&["-z"]).unwrap_err(), "Unrecognized option: -z");
    }

    #[test]
    fn proxy_options_come_off_before_the_broker_reads_its_own() {
        let (rest, p) =
            split_proxy_args(argv(&["-c", "b.conf", "--enable-proxy", "-pc", "p.json"]));
        assert_eq!(rest, argv(&["-c", "b.conf"]));
        assert!(p.enabled);
        assert_eq!(p.file.as_deref(), Some("p.json"));
        let (_, p) = split_proxy_args(argv(&["-pc", "p.json"]));
        assert!(!p.enabled);
    }
}
