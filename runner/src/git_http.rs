//! git's smart HTTP protocol (fetch only) over `ureq` and rustls, as
//! libgit2's transport for `https://` and `http://` remotes.
//!
//! Why not libgit2's own: built with OpenSSL, libgit2 initialises it (a TLS
//! context, every cipher, the CA store) the first time anything uses git,
//! which every `cordon run` does to list tracked files and name the commit.
//! That was a tenth of a warm run's CPU, spent for `cordon db update`
//! alone. The smart protocol is two requests (git's `http-protocol`
//! documentation): `GET <repo>/info/refs?service=git-upload-pack` for the
//! refs, then `POST <repo>/git-upload-pack` rounds for the pack; libgit2
//! speaks everything inside them. Pushing is never needed and refused.

use std::io::{Cursor, Read, Write};
use std::sync::Once;

use git2::transport::{Service, SmartSubtransport, SmartSubtransportStream, Transport};

/// Makes libgit2 use this transport for `https://` and `http://` remotes.
/// Idempotent; call before the first fetch.
pub fn register() -> Result<(), String> {
    static REGISTERED: Once = Once::new();
    let mut outcome = Ok(());
    REGISTERED.call_once(|| {
        for scheme in ["https", "http"] {
            // SAFETY: `register` must not race with libgit2 creating a
            // transport; this runs once, before any fetch, and the factory
            // holds no state of its own.
            let registered = unsafe {
                git2::transport::register(scheme, |remote| {
                    Transport::smart(remote, true, SmartHttp::new())
                })
            };
            if let Err(error) = registered {
                outcome = Err(format!(
                    "cannot set up git over {scheme}: {}",
                    error.message()
                ));
            }
        }
    });
    outcome
}

struct SmartHttp {
    agent: ureq::Agent,
}

impl SmartHttp {
    fn new() -> SmartHttp {
        SmartHttp {
            agent: cordon_advisory_sources::fetch_agent(concat!(
                "git/2.0 (cordon/",
                env!("CARGO_PKG_VERSION"),
                ")"
            )),
        }
    }
}

impl SmartSubtransport for SmartHttp {
    fn action(
        &self,
        url: &str,
        action: Service,
    ) -> Result<Box<dyn SmartSubtransportStream>, git2::Error> {
        let base = url.trim_end_matches('/');
        let request = match action {
            Service::UploadPackLs => Request::Get {
                url: format!("{base}/info/refs?service=git-upload-pack"),
            },
            Service::UploadPack => Request::Post {
                url: format!("{base}/git-upload-pack"),
                body: Vec::new(),
            },
            Service::ReceivePackLs | Service::ReceivePack => {
                return Err(git2::Error::from_str(
                    "pushing is not supported by Cordon's git transport",
                ));
            }
        };
        Ok(Box::new(Exchange {
            agent: self.agent.clone(),
            request: Some(request),
            response: None,
        }))
    }

    fn close(&self) -> Result<(), git2::Error> {
        Ok(())
    }
}

enum Request {
    Get { url: String },
    Post { url: String, body: Vec<u8> },
}

/// One request: libgit2 writes the body (for a POST), then reads the
/// response, which is sent on the first read.
struct Exchange {
    agent: ureq::Agent,
    request: Option<Request>,
    response: Option<Box<dyn Read + Send>>,
}

impl Exchange {
    fn send(&mut self) -> std::io::Result<Box<dyn Read + Send>> {
        let failed = |message: String| std::io::Error::other(message);
        let (url, response, expected) = match self.request.take() {
            Some(Request::Get { url }) => {
                let response = self.agent.get(&url).call();
                (url, response, "application/x-git-upload-pack-advertisement")
            }
            Some(Request::Post { url, body }) => {
                let response = self
                    .agent
                    .post(&url)
                    .header("Content-Type", "application/x-git-upload-pack-request")
                    .header("Accept", "application/x-git-upload-pack-result")
                    .send(&body[..]);
                (url, response, "application/x-git-upload-pack-result")
            }
            None => return Ok(Box::new(Cursor::new(Vec::new()))),
        };
        // A token in the remote's URL must never reach a message.
        let url = crate::run::git_scope::strip_credentials(&url);
        let response = response.map_err(|error| failed(format!("{url}: {error}")))?;
        let status = response.status().as_u16();
        if status != 200 {
            return Err(failed(format!("{url}: HTTP status {status}")));
        }
        // A dumb server (or a login page) answers with something else:
        // say so rather than let libgit2 parse HTML as a pack.
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|value| value.to_str().ok())
            .unwrap_or("");
        if !content_type.starts_with(expected) {
            return Err(failed(format!(
                "{url}: not a git smart-HTTP server (content type `{content_type}`)"
            )));
        }
        Ok(Box::new(
            response
                .into_body()
                .into_with_config()
                .limit(MAX_RESPONSE_BYTES)
                .reader(),
        ))
    }
}

/// The most one response may hold. The RustSec database's whole pack is a
/// few tens of megabytes; a server sending without end is cut off here
/// rather than filling the disk libgit2 writes the pack to.
const MAX_RESPONSE_BYTES: u64 = 2 << 30;

impl Read for Exchange {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.response.is_none() {
            self.response = Some(self.send()?);
        }
        match &mut self.response {
            Some(response) => response.read(buf),
            None => Ok(0),
        }
    }
}

impl Write for Exchange {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        match &mut self.request {
            Some(Request::Post { body, .. }) => {
                body.extend_from_slice(data);
                Ok(data.len())
            }
            _ => Err(std::io::Error::other(
                "a request with a body was not expected here",
            )),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::path::{Path, PathBuf};
    use std::process::{Command, Stdio};
    use std::sync::{Arc, Mutex};

    fn git(dir: &Path, args: &[&str]) {
        let status = Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@localhost"])
            .args(args)
            .current_dir(dir)
            .status()
            .unwrap();
        assert!(status.success(), "git {args:?}");
    }

    /// A smart-HTTP server: each request is handed to `git http-backend`,
    /// git's own CGI program, as a web server would.
    fn serve(root: PathBuf) -> (String, Arc<Mutex<Vec<String>>>) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let agents = Arc::new(Mutex::new(Vec::new()));
        let seen = agents.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request_line = String::new();
                reader.read_line(&mut request_line).unwrap();
                let mut headers = Vec::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                        break;
                    }
                    headers.push(line.trim().to_string());
                }
                let header = |name: &str| {
                    headers
                        .iter()
                        .find_map(|h| {
                            let (key, value) = h.split_once(':')?;
                            key.eq_ignore_ascii_case(name)
                                .then(|| value.trim().to_string())
                        })
                        .unwrap_or_default()
                };
                seen.lock().unwrap().push(header("user-agent"));
                let mut body = vec![0; header("content-length").parse().unwrap_or(0)];
                reader.read_exact(&mut body).unwrap();
                let mut parts = request_line.split_whitespace();
                let method = parts.next().unwrap_or("").to_string();
                let target = parts.next().unwrap_or("").to_string();
                let (path, query) = target.split_once('?').unwrap_or((&target, ""));
                let mut backend = Command::new("git")
                    .arg("http-backend")
                    .env("GIT_PROJECT_ROOT", &root)
                    .env("GIT_HTTP_EXPORT_ALL", "1")
                    .env("REQUEST_METHOD", &method)
                    .env("PATH_INFO", path)
                    .env("QUERY_STRING", query)
                    .env("CONTENT_TYPE", header("content-type"))
                    .env("CONTENT_LENGTH", body.len().to_string())
                    .env("REMOTE_ADDR", "127.0.0.1")
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .spawn()
                    .unwrap();
                backend.stdin.take().unwrap().write_all(&body).unwrap();
                let output = backend.wait_with_output().unwrap();
                let split = output
                    .stdout
                    .windows(4)
                    .position(|w| w == b"\r\n\r\n")
                    .map(|at| (at, 4))
                    .or_else(|| {
                        output
                            .stdout
                            .windows(2)
                            .position(|w| w == b"\n\n")
                            .map(|at| (at, 2))
                    })
                    .unwrap();
                let cgi_headers = String::from_utf8_lossy(&output.stdout[..split.0]).to_string();
                let content = &output.stdout[split.0 + split.1..];
                let status = cgi_headers
                    .lines()
                    .find_map(|l| l.strip_prefix("Status:"))
                    .map_or("200 OK".to_string(), |s| s.trim().to_string());
                let mut reply = format!("HTTP/1.1 {status}\r\n");
                for line in cgi_headers.lines().filter(|l| !l.starts_with("Status:")) {
                    reply.push_str(line.trim_end());
                    reply.push_str("\r\n");
                }
                reply.push_str(&format!(
                    "Content-Length: {}\r\nConnection: close\r\n\r\n",
                    content.len()
                ));
                let _ = stream.write_all(reply.as_bytes());
                let _ = stream.write_all(content);
            }
        });
        (format!("http://{address}"), agents)
    }

    #[test]
    fn clones_and_fast_forwards_over_smart_http() {
        let dir = tempfile::tempdir().unwrap();
        let work = dir.path().join("work");
        std::fs::create_dir_all(&work).unwrap();
        git(&work, &["init", "-q", "-b", "main"]);
        std::fs::write(work.join("RUSTSEC-0000-0001.md"), "first\n").unwrap();
        git(&work, &["add", "."]);
        git(&work, &["commit", "-q", "-m", "one"]);
        let served = dir.path().join("served");
        std::fs::create_dir_all(&served).unwrap();
        git(
            &served,
            &["clone", "-q", "--bare", work.to_str().unwrap(), "db.git"],
        );
        let (base, agents) = serve(served.clone());
        let url = format!("{base}/db.git");

        let copy = dir.path().join("copy");
        let first = crate::datasets::update(&url, &copy).unwrap();
        assert_eq!(
            std::fs::read_to_string(copy.join("RUSTSEC-0000-0001.md")).unwrap(),
            "first\n"
        );

        std::fs::write(work.join("RUSTSEC-0000-0002.md"), "second\n").unwrap();
        git(&work, &["add", "."]);
        git(&work, &["commit", "-q", "-m", "two"]);
        git(
            &work,
            &[
                "push",
                "-q",
                served.join("db.git").to_str().unwrap(),
                "main",
            ],
        );
        let second = crate::datasets::update(&url, &copy).unwrap();
        assert_ne!(first, second);
        assert!(copy.join("RUSTSEC-0000-0002.md").is_file());
        // Every request went through this transport, not libgit2's own.
        let agents = agents.lock().unwrap().clone();
        assert!(agents.len() >= 4, "{agents:?}");
        assert!(agents.iter().all(|a| a.contains("cordon/")), "{agents:?}");

        // A server that is not a git one is a clear error, not a bad pack.
        let error =
            crate::datasets::update(&format!("{url}-missing"), &dir.path().join("x")).unwrap_err();
        assert!(error.contains("status 404"), "{error}");

        // A token in the remote's URL never reaches the message.
        let with_token =
            format!("{base}/missing.git").replace("http://", "http://ci:s3cr3t-t0ken@");
        let error = crate::datasets::update(&with_token, &dir.path().join("y")).unwrap_err();
        assert!(!error.contains("s3cr3t-t0ken"), "{error}");
        assert!(error.contains("/missing.git"), "{error}");
    }
}
