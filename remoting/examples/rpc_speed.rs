//! Rough request/response throughput over loopback (not a benchmark suite):
//! `cargo run --release --example rpc_speed -p remoting`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use remoting::{Client, Command, Connection, Handler, Server};

struct Echo;

impl Handler for Echo {
    async fn handle(&self, _conn: &Connection, mut req: Command) -> Option<Command> {
        let mut reply = Command::response(0, None);
        reply.body = req.body.take();
        Some(reply)
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = Server::bind("127.0.0.1:0", Arc::new(Echo)).await?;
    let addr = server.local_addr()?.to_string();
    let (stop, _task) = server.spawn();
    let client = Arc::new(Client::new());
    let (tasks, per_task) = (64, 2_000);
    let started = Instant::now();
    let mut handles = Vec::new();
    for _ in 0..tasks {
        let (client, addr) = (client.clone(), addr.clone());
        handles.push(tokio::spawn(async move {
            for _ in 0..per_task {
                let req = Command::request(1)
                    .with_ext("topic", "TopicTest")
                    .with_body(vec![b'x'; 256]);
                client.invoke(&addr, req, Duration::from_secs(5)).await?;
            }
            Ok::<_, remoting::RemotingError>(())
        }));
    }
    for h in handles {
        h.await??;
    }
    let n = tasks * per_task;
    let secs = started.elapsed().as_secs_f64();
    println!("{n} requests in {secs:.2}s: {:.0} req/s", n as f64 / secs);
    stop.shutdown();
    Ok(())
}
