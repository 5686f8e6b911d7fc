//! `thrust`: NameServer and Broker in one process, ready for a client with
//! `namesrvAddr=127.0.0.1:9876`, and for a 5.x gRPC SDK with endpoints `127.0.0.1:8081`.
//!
//! ```text
//! usage: thrust [-c <broker.conf>] [-pc <rmq-proxy.json>] [-h]
//! ```
//! The NameServer listens on 127.0.0.1:9876, the Broker on 127.0.0.1:10911 (VIP 10909) and its
//! gRPC endpoint on 127.0.0.1:8081 (`grpcServerPort` of a `-pc` file changes it), with
//! Java's defaults for everything else: store under `~/store`, NameServer KV config under
//! `~/namesrv`. A `-c` file (broker.conf keys) overrides the Broker's defaults, e.g.
//! `storePathRootDir` or `listenPort`; `namesrvAddr` always points at the embedded NameServer.
//! SIGTERM/SIGINT stop the Broker first (unregister, flush, remove `abort`), then the NameServer.

use std::process::ExitCode;

use broker::config::BrokerConfig;
use broker::grpc::ProxyConfig;
use namesrv::ConfigState;
use thrust::{
    announce, home_from_executable, init_logging, init_tls, parse_args, serve, split_proxy_args,
    Opt, Stop, CONFIG_FILE, HELP,
};

const USAGE: &str = "usage: thrust [-c <arg>] [-pc <arg>] [-h]
 -c,--configFile <arg>         Broker config properties file (broker.conf keys)
 -pc,--proxyConfigPath <arg>   gRPC endpoint config json file (rmq-proxy.json keys)
 -h,--help                     Print help";

const OPTS: &[Opt] = &[CONFIG_FILE, HELP];

const NAMESRV_ADDR: &str = "127.0.0.1:9876";

fn main() -> ExitCode {
    init_logging("thrust.log");
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let (argv, mut proxy) = split_proxy_args(argv);
    // The endpoint is always on here.
    proxy.enabled = true;
    let args = match parse_args(&argv, OPTS) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}\n{USAGE}");
            return ExitCode::from(1);
        }
    };
    if args.has('h') {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let home = std::env::var("ROCKETMQ_HOME")
        .ok()
        .or_else(home_from_executable);
    let broker = match broker_config(args.value('c'), home.clone()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(255);
        }
    };
    let grpc = match proxy.config() {
        Ok(g) => g.unwrap_or_default(),
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(255);
        }
    };
    let mut namesrv = ConfigState::default();
    namesrv.config.rocketmq_home = home;
    namesrv.config.bind_address = "127.0.0.1".into();
    serve(None, "stopped", |stop| run(namesrv, broker, grpc, stop))
}

/// Java's broker defaults, advertised and bound on loopback, then the `-c` file.
fn broker_config(file: Option<&str>, home: Option<String>) -> Result<BrokerConfig, String> {
    let tls = init_tls()?;
    let mut cfg = BrokerConfig {
        use_tls: tls.client_default(),
        rocketmq_home: home,
        broker_ip1: "127.0.0.1".into(),
        bind_address: "127.0.0.1".into(),
        ..BrokerConfig::default()
    };
    if let Some(file) = file {
        let applied = cfg.load_file(file).map_err(|e| e.to_string())?;
        for key in applied.unknown {
            tracing::warn!(key = %key, file = %file, "unknown config key, ignored");
        }
        cfg.config_file = Some(file.to_string());
    }
    cfg.namesrv_addr = Some(NAMESRV_ADDR.into());
    cfg.finish().map_err(|e| e.to_string())?;
    Ok(cfg)
}

async fn run(
    namesrv: ConfigState,
    broker: BrokerConfig,
    grpc: ProxyConfig,
    stop: Stop,
) -> Result<(), String> {
    let ns = namesrv::start(namesrv).await.map_err(|e| e.to_string())?;
    let name = broker.broker_name.clone();
    let host = broker.bind_address.clone();
    let running = match broker::start(broker).await {
        Ok(r) => r,
        Err(e) => {
            ns.shutdown().await;
            return Err(e.to_string());
        }
    };
    let endpoint = match broker::grpc::start(running.broker.clone(), grpc, &host).await {
        Ok(e) => e,
        Err(e) => {
            running.shutdown().await;
            ns.shutdown().await;
            return Err(e);
        }
    };
    announce(&format!(
        "The Name Server boot success. serializeType=JSON, address {}\n\
         The broker[{name}, {}] boot success. serializeType=JSON and name server is {NAMESRV_ADDR}\n\
         The gRPC endpoint boot success, address {host}:{}",
        ns.local_addr, running.addr, endpoint.port
    ));
    stop.await;
    tracing::info!("shutdown signal received, stopping the Broker and the Name Server");
    endpoint.shutdown();
    running.shutdown().await;
    ns.shutdown().await;
    Ok(())
}
