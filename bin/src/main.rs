//! `thrust`: NameServer and Broker in one process.

fn main() {
    eprintln!("thrust: the broker is not built yet; run mqnamesrv");
    std::process::exit(1);
}
