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
//! With `enableControllerInNamesrv=true` the same file also configures the controller (Java
//! `ControllerConfig` keys such as `controllerDLegerPeers`, `controllerDLegerSelfId`,
//! `controllerStorePath`), which then runs in this process on the port of its own
//! `controllerDLegerPeers` entry, as Java's `NamesrvStartup#controllerManagerMain` does.
//!
//! `ROCKETMQ_HOME` defaults, as in Java's `bin/mqnamesrv` script, to the directory above the
//! binary's (Java's own "please set ROCKETMQ_HOME" exit -2 remains for when that cannot be
//! found). Once listening it prints Java's
//! `The Name Server boot success. serializeType=JSON, address <bind>:<port>` line, which start
//! scripts wait for. SIGTERM/SIGINT stop it cleanly (exit 0). Logs go to stderr and
//! `~/logs/rocketmqlogs/namesrv.log` (`RUST_LOG` filters).

use std::process::ExitCode;

use namesrv::ConfigState;
use thrust::{
    announce, command_line, home_from_executable, init_logging, init_tls, print_config_items,
    serve, Opt, Stop, CONFIG_FILE, HELP, NAMESRV_ADDR, PRINT_CONFIG_ITEM,
};

const USAGE: &str = "usage: mqnamesrv [-c <arg>] [-h] [-n <arg>] [-p]
 -c,--configFile <arg>    Name server config properties file
 -h,--help                Print help
 -n,--namesrvAddr <arg>   Name server address list, eg: '192.168.0.1:9876;192.168.0.2:9876'
 -p,--printConfigItem     Print all config items";

const OPTS: &[Opt] = &[CONFIG_FILE, HELP, NAMESRV_ADDR, PRINT_CONFIG_ITEM];

/// The NameServer's config and, with `enableControllerInNamesrv=true`, the controller's.
struct Configs {
    namesrv: ConfigState,
    controller: Option<controller::ConfigState>,
}

/// Builds the configs: Java defaults, then the `-c` file.
fn load_config(config_file: Option<&str>) -> Result<Configs, String> {
    let mut state = ConfigState::default();
    if state.config.rocketmq_home.is_none() {
        state.config.rocketmq_home = home_from_executable();
    }
    let Some(file) = config_file else {
        return Ok(Configs {
            namesrv: state,
            controller: None,
        });
    };
    let text = std::fs::read_to_string(file).map_err(|e| format!("{file}: {e}"))?;
    let entries = remoting::props::parse(&text);
    state.extra = state
        .config
        .apply(&entries)
        .map_err(|e| format!("{file}: {e}"))?;
    state
        .config
        .check_supported()
        .map_err(|e| format!("{file}: {e}"))?;
    let controller = if state.config.enable_controller_in_namesrv {
        Some(controller_config(&state, &entries).map_err(|e| format!("{file}: {e}"))?)
    } else {
        None
    };
    for key in state.extra.keys() {
        let known = controller
            .as_ref()
            .is_some_and(|c| !c.extra.contains_key(key));
        if !known {
            tracing::warn!(key = %key, file = %file, "unknown config key, ignored");
        }
    }
    state.config.config_store_path = file.to_string();
    println!("load config properties file OK, {file}");
    Ok(Configs {
        namesrv: state,
        controller,
    })
}

/// Java `NamesrvStartup`: the controller reads the same properties; its transport keys are
/// the NameServer's (a clone of its `NettyServerConfig`).
fn controller_config(
    namesrv: &ConfigState,
    entries: &[(String, String)],
) -> Result<controller::ConfigState, controller::Error> {
    let mut state = controller::ConfigState::default();
    // Java `NettyClientConfig.useTLS` before the file: tls.enable, else the TLS mode.
    state.config.use_tls = remoting::tls::settings().client_default();
    state.config.rocketmq_home = namesrv.config.rocketmq_home.clone();
    state.config.listen_port = namesrv.config.listen_port;
    state.extra = state.config.apply(entries)?;
    state.config.check_supported()?;
    state.config.self_peer()?;
    Ok(state)
}

fn main() -> ExitCode {
    init_logging("namesrv.log");
    let args = match command_line(OPTS, USAGE, 1) {
        Ok(a) => a,
        Err(code) => return code,
    };
    if let Err(e) = init_tls() {
        eprintln!("{e}");
        return ExitCode::from(255);
    }
    let Configs {
        namesrv: state,
        controller,
    } = match load_config(args.value('c')) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(255);
        }
    };
    if args.has('p') {
        let mut lines = state.config.print_lines();
        if let Some(c) = &controller {
            lines.extend(c.config.print_lines());
        }
        print_config_items(lines);
        return ExitCode::SUCCESS;
    }
    if state.config.rocketmq_home.is_none() {
        println!("Please set the ROCKETMQ_HOME variable in your environment to match the location of the RocketMQ installation");
        return ExitCode::from(254);
    }
    for line in state.config.print_lines() {
        tracing::info!("{line}");
    }
    serve(Some("NSServer"), "the Name Server stopped", |stop| {
        run(state, controller, stop)
    })
}

async fn run(
    state: ConfigState,
    controller: Option<controller::ConfigState>,
    stop: Stop,
) -> Result<(), String> {
    let bind = state.config.bind_address.clone();
    let running = namesrv::start(state).await.map_err(|e| e.to_string())?;
    announce(&format!(
        "The Name Server boot success. serializeType=JSON, address {bind}:{}",
        running.local_addr.port()
    ));
    let controller = match controller {
        Some(c) => {
            let started = controller::start(c).await.map_err(|e| e.to_string())?;
            tracing::info!(addr = %started.local_addr, "controller listening");
            announce("The ControllerManager boot success. serializeType=JSON");
            Some(started)
        }
        None => None,
    };
    stop.await;
    tracing::info!("shutdown signal received, stopping the Name Server");
    if let Some(c) = controller {
        c.shutdown().await;
    }
    running.shutdown().await;
    Ok(())
}
