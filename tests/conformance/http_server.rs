//! A small HTTP server the around-a-task cases start on 127.0.0.1: GET returns what was PUT
//! (or what the case seeded), PUT stores the body, and paths under `/readonly/` refuse PUT
//! with 405. One thread per connection; `Connection: close`.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// The server's files, by path.
pub type Files = Arc<Mutex<HashMap<String, Vec<u8>>>>;

/// Starts the server; returns its base URL (`http://127.0.0.1:PORT`) and its files.
pub fn start() -> std::io::Result<(String, Files)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let base = format!("http://{}", listener.local_addr()?);
    let files: Files = Arc::default();
    let served = files.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let files = served.clone();
            std::thread::spawn(move || {
                let _ = serve(stream, &files);
            });
        }
    });
    Ok((base, files))
}

fn serve(stream: TcpStream, files: &Files) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut words = line.split_whitespace();
    let (method, path) = (
        words.next().unwrap_or("").to_owned(),
        words.next().unwrap_or("/").to_owned(),
    );
    let mut length = 0usize;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" || h == "\n" {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut out = stream;
    let reply = |out: &mut TcpStream, status: &str, body: &[u8]| -> std::io::Result<()> {
        write!(
            out,
            "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )?;
        out.write_all(body)
    };
    match method.as_str() {
        "GET" => {
            let body = files.lock().unwrap().get(&path).cloned();
            match body {
                Some(b) => reply(&mut out, "200 OK", &b),
                None => reply(&mut out, "404 Not Found", b"no such file"),
            }
        }
        "PUT" if path.starts_with("/readonly/") => {
            let mut sink = vec![0; length];
            reader.read_exact(&mut sink)?;
            reply(&mut out, "405 Method Not Allowed", b"read-only")
        }
        "PUT" => {
            let mut body = vec![0; length];
            reader.read_exact(&mut body)?;
            files.lock().unwrap().insert(path, body);
            reply(&mut out, "201 Created", b"")
        }
        _ => reply(&mut out, "405 Method Not Allowed", b""),
    }
}
