//! `hostile-net`: the network half of the hostile test plugin.
//!
//! std's sockets compile to `wasi:sockets` imports. The runner links no
//! `wasi:sockets`, so it must refuse to instantiate this component at all
//! (a link error naming the missing import). Should a host ever link the
//! interface, every attempt below still runs and reports, in the same
//! format as `cordon-test-hostile`:
//!
//! * blocked: rule `hostile/blocked` (info), message `"{attempt}: {io error}"`;
//! * escaped: rule `hostile/escaped` (critical), message `"{attempt}: {what worked}"`.
//!
//! Options: `addr` (optional), a `host:port` to connect to, such as a
//! loopback listener the test started. Attempts, by label:
//! `TcpStream::connect {addr}`, `TcpListener::bind 127.0.0.1:0`,
//! `UdpSocket::bind 0.0.0.0:0`, `UdpSocket::send_to {addr}`,
//! `to_socket_addrs localhost:80`.

use std::io::Write;
use std::net::{TcpListener, TcpStream, ToSocketAddrs, UdpSocket};

use cordon_sdk::prelude::*;
use serde_json::Value;

#[path = "../../../plugin-support/verdict.rs"]
mod verdict;

use verdict::{blocked, escaped, with_rules};

struct HostileNet;

impl Stage for HostileNet {
    fn describe() -> StageInfo {
        with_rules(StageInfo::new(
            "hostile-net",
            env!("CARGO_PKG_VERSION"),
            "Tries the network (test plugin)",
        ))
    }

    fn run(options: String) -> Result<Summary, StageError> {
        let options: Value = serde_json::from_str(&options).map_err(StageError::options)?;
        if let Some(addr) = options["addr"].as_str() {
            report(&format!("TcpStream::connect {addr}"), connect(addr));
        }
        let listen = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr());
        report(
            "TcpListener::bind 127.0.0.1:0",
            listen.map(|a| format!("listening on {a}")),
        );
        match UdpSocket::bind("0.0.0.0:0") {
            Ok(socket) => {
                escaped(
                    "UdpSocket::bind 0.0.0.0:0",
                    &format!("bound {:?}", socket.local_addr()),
                );
                if let Some(addr) = options["addr"].as_str() {
                    let sent = socket
                        .send_to(b"hostile", addr)
                        .map(|n| format!("sent {n} bytes"));
                    report(&format!("UdpSocket::send_to {addr}"), sent);
                }
            }
            Err(error) => blocked("UdpSocket::bind 0.0.0.0:0", &error.to_string()),
        }
        let resolved = ("localhost", 80)
            .to_socket_addrs()
            .map(|addrs| format!("{:?}", addrs.collect::<Vec<_>>()));
        report("to_socket_addrs localhost:80", resolved);
        Ok(Summary::default())
    }
}

cordon_sdk::export_stage!(HostileNet);

/// Connects and sends a line, to prove the connection carries data.
fn connect(addr: &str) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(addr)?;
    stream.write_all(b"hostile-net was here\n")?;
    Ok(format!(
        "connected to {} and sent 21 bytes",
        stream.peer_addr()?
    ))
}

fn report(attempt: &str, result: std::io::Result<String>) {
    match result {
        Ok(leaked) => escaped(attempt, &leaked),
        Err(error) => blocked(attempt, &error.to_string()),
    }
}
