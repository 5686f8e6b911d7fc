//! `mqcontroller`: the controller alone, started with Java `ControllerStartup`'s command line.
//!
//! ```text
//! usage: mqcontroller [-c <arg>] [-h] [-n <arg>] [-p]
//! ```
//! * `-c/--configFile <file>`: Java properties (`ControllerConfig`, `JraftConfig`,
//!   `NettyServerConfig`, `NettyClientConfig` keys); `controllerDLegerPeers` and
//!   `controllerDLegerSelfId` are required, as by Java, and the controller serves on the port
//!   of its own peer entry.
//! * `-p/--printConfigItem`: print every config item as `key=value` and exit 0.
//! * `-n/--namesrvAddr`: accepted and ignored, as by Java.
//! * `-h/--help`: usage, exit 0.
//!
//! Once listening it prints Java's `The Controller Server boot success. serializeType=JSON`.
//! SIGTERM/SIGINT stop it cleanly (exit 0). Logs go to stderr and
//! `~/logs/rocketmqlogs/controller.log`.

use std::process::ExitCode;

use controller::ConfigState;
use thrust::{
    announce, command_line, home_from_executable, init_logging, init_tls, print_config_items,
    serve, Opt, Stop, CONFIG_FILE, HELP, NAMESRV_ADDR, PRINT_CONFIG_ITEM,
};

const USAGE: &str = "usage: mqcontroller [-c <arg>] [-h] [-n <arg>] [-p]
 -c,--configFile <arg>    Controller config properties file
 -h,--help                Print help
 -n,--namesrvAddr <arg>   Name server address list, eg: '192.168.0.1:9876;192.168.0.2:9876'
 -p,--printConfigItem     Print all config items";

const OPTS: &[Opt] = &[CONFIG_FILE, HELP, NAMESRV_ADDR, PRINT_CONFIG_ITEM];

/// Java defaults, then the `-c` file.
fn load_config(config_file: Option<&str>) -> Result<ConfigState, String> {
    let tls = init_tls()?;
    let mut state = ConfigState::default();
    // Java `NettyClientConfig.useTLS` before the file: tls.enable, else the TLS mode.
    state.config.use_tls = tls.client_default();
    if state.config.rocketmq_home.is_none() {
        state.config.rocketmq_home = home_from_executable();
    }
    let Some(file) = config_file else {
        return Ok(state);
    };
    let text = std::fs::read_to_string(file).map_err(|e| format!("{file}: {e}"))?;
    let entries = remoting::props::parse(text.as_str());
    state.extra = state
        .config
        .apply(&entries)
        .map_err(|e| format!("{file}: {e}"))?;
    for key in state.extra.keys() {
        tracing::warn!(key = %key, file = %file, "unknown config key, ignored");
    }
    println!("load config properties file OK, {file}");
    Ok(state)
}

fn main() -> ExitCode {
    init_logging("controller.log");
    let args = match command_line(OPTS, USAGE, 1) {
        Ok(a) => a,
        Err(code) => return code,
    };
    let state = match load_config(args.value('c')) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(255);
        }
    };
    if args.has('p') {
        print_config_items(state.config.print_lines());
        return ExitCode::SUCCESS;
    }
    if state.config.rocketmq_home.is_none() {
        println!("Please set the ROCKETMQ_HOME or rocketmq.home.dir variable in your environment!");
        return ExitCode::from(255);
    }
    serve(Some("ControllerServer"), "the Controller stopped", |stop| {
        run(state, stop)
    })
}

async fn run(state: ConfigState, stop: Stop) -> Result<(), String> {
    let running = controller::start(state).await.map_err(|e| e.to_string())?;
    tracing::info!(addr = %running.local_addr, "controller listening");
    announce("The Controller Server boot success. serializeType=JSON");
    stop.await;
    tracing::info!("shutdown signal received, stopping the Controller");
    running.shutdown().await;
    Ok(())
}
