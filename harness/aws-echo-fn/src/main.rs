//! A tiny Lambda function for harness/aws-selfcheck, built with the official `lambda_runtime`.
//! It answers its event with what it sees of its environment. The event may ask for:
//!   {"fail": "msg"}                      an Err from the handler (a function error)
//!   {"sleep_ms": N}                      a sleep first (timeouts, concurrency)
//!   {"exit": N}                          the process exits with status N (Runtime.ExitError)
//!   {"big": N}                           an answer of about N bytes (the 6 MB limit)
//!   {"quiet": true}                      no echo of the event in the answer
//!   {"s3_put": {"bucket", "key", "body"}}  a PUT to $AWS_ENDPOINT_URL/bucket/key (path-style, unsigned:
//!                                        moto does not check signatures), to show that the
//!                                        function reaches S3 through the glue
use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::{json, Value};
use std::io::{Read, Write};

#[derive(Debug)]
struct EchoFailure(String);
impl std::fmt::Display for EchoFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}
impl std::error::Error for EchoFailure {}

fn http_put(endpoint: &str, path: &str, body: &[u8]) -> std::io::Result<String> {
    let hostport = endpoint.trim_start_matches("http://").trim_end_matches('/');
    let mut s = std::net::TcpStream::connect(hostport)?;
    write!(
        s,
        "PUT {path} HTTP/1.1\r\nHost: {hostport}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    s.write_all(body)?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    Ok(out.lines().next().unwrap_or_default().to_string())
}

async fn handler(event: LambdaEvent<Value>) -> Result<Value, Error> {
    let (payload, ctx) = event.into_parts();
    if let Some(ms) = payload.get("sleep_ms").and_then(Value::as_u64) {
        tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
    }
    if let Some(code) = payload.get("exit").and_then(Value::as_i64) {
        std::process::exit(code as i32);
    }
    if let Some(msg) = payload.get("fail").and_then(Value::as_str) {
        return Err(Box::new(EchoFailure(msg.to_string())));
    }
    let mut s3 = Value::Null;
    if let Some(put) = payload.get("s3_put") {
        let endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap_or_default();
        let path = format!(
            "/{}/{}",
            put["bucket"].as_str().unwrap_or_default(),
            put["key"].as_str().unwrap_or_default()
        );
        let body = put["body"].as_str().unwrap_or_default().as_bytes().to_vec();
        s3 = match http_put(&endpoint, &path, &body) {
            Ok(status) => json!(status),
            Err(e) => json!(format!("error: {e}")),
        };
    }
    let big = payload
        .get("big")
        .and_then(Value::as_u64)
        .map(|n| "x".repeat(n as usize));
    let deadline_ms = ctx.deadline;
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default();
    Ok(json!({
        "echo": if payload.get("quiet").and_then(Value::as_bool) == Some(true) { Value::Null } else { payload.clone() },
        "tag": std::env::var("ECHO_TAG").unwrap_or_default(),
        "code_tag": std::fs::read_to_string("tag.txt").unwrap_or_default().trim(),
        "function": std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_default(),
        "memory": std::env::var("AWS_LAMBDA_FUNCTION_MEMORY_SIZE").unwrap_or_default(),
        "version": std::env::var("AWS_LAMBDA_FUNCTION_VERSION").unwrap_or_default(),
        "region": std::env::var("AWS_REGION").unwrap_or_default(),
        "endpoint": std::env::var("AWS_ENDPOINT_URL").unwrap_or_default(),
        "home": std::env::var("HOME").ok(),
        "cwd": std::env::current_dir().map(|d| d.display().to_string()).unwrap_or_default(),
        "request_id": ctx.request_id,
        "invoked_function_arn": ctx.invoked_function_arn,
        "deadline_ms": deadline_ms,
        "remaining_ms": deadline_ms as i64 - now_ms as i64,
        "pid": std::process::id(),
        "s3_put": s3,
        "big": big,
    }))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(handler)).await
}
