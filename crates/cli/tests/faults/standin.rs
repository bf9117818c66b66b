//! Stateful stand-ins for the platform APIs on a plain TCP socket, so a test can program what
//! happens to each create request: an HTTP error, a reset connection, a slow or lost answer,
//! a malformed body. Only what the handlers use is served: Dev.to (list mine, create,
//! update), Hashnode (GraphQL: post by slug, publish, update), Medium (me, create),
//! OpenSearch (put document by id). Posts keep their title and content, and updates change
//! them, so a test can tell which revision a platform shows.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

/// What the stand-in does with one create request.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// HTTP 429, with `Retry-After: <seconds>` when given.
    TooMany(Option<u32>),
    /// This status with a JSON error body; nothing is stored.
    Status(u16),
    /// The connection is closed with a reset before any answer; nothing is stored.
    Reset,
    /// The post is stored, and the answer comes after this long (longer than the client waits).
    Slow(Duration),
    /// The post is stored, then the connection is dropped without an answer.
    Lost,
    /// The post is stored, and the answer is 201 with a body that is not JSON.
    Malformed,
}

/// Which API a stand-in speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    Devto,
    Hashnode,
    Medium,
    Opensearch,
}

#[derive(Default)]
struct State {
    posts: Vec<Value>,
    program: Vec<Fault>,
    creates: u32,
}

/// The running stand-in.
pub struct Standin {
    pub base_url: String,
    state: Arc<Mutex<State>>,
}

impl Standin {
    /// Starts a stand-in whose create requests meet `program` in order, then succeed.
    pub fn start(platform: Platform, program: Vec<Fault>) -> Standin {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State {
            program,
            ..State::default()
        }));
        let shared = Arc::clone(&state);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let shared = Arc::clone(&shared);
                std::thread::spawn(move || serve(platform, stream, &shared));
            }
        });
        Standin { base_url, state }
    }

    /// The stored posts.
    pub fn posts(&self) -> Vec<Value> {
        self.state.lock().unwrap().posts.clone()
    }

    /// How many create requests arrived (faulted or not).
    pub fn creates(&self) -> u32 {
        self.state.lock().unwrap().creates
    }
}

/// Where the stand-in says its posts live.
const SITE: &str = "https://dev.to/standin";

struct Request {
    method: String,
    path: String,
    body: Vec<u8>,
}

fn read_request(stream: &TcpStream) -> Option<Request> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let path = parts.next()?.to_string();
    let mut length = 0usize;
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((n, v)) = h.split_once(':') {
            if n.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().ok()?;
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Request { method, path, body })
}

fn respond(mut stream: &TcpStream, status: u16, extra: &[(&str, String)], body: &str) {
    let mut head = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for (n, v) in extra {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body.as_bytes());
    let _ = stream.flush();
}

/// Closes with RST (linger 0), without any answer.
#[allow(deprecated)] // SO_LINGER 0 is the point here: the peer must see a reset.
fn reset(stream: TcpStream) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .unwrap();
    rt.block_on(async move {
        stream.set_nonblocking(true).unwrap();
        let s = tokio::net::TcpStream::from_std(stream).unwrap();
        s.set_linger(Some(Duration::ZERO)).unwrap();
        drop(s);
    });
}

/// Stores the post of a create request and returns the platform's answer body.
fn store(platform: Platform, state: &Mutex<State>, path: &str, body: &[u8]) -> Value {
    let req: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let mut s = state.lock().unwrap();
    match platform {
        Platform::Devto => {
            let id = 1000 + s.posts.len() as u64;
            let post = json!({
                "id": id,
                "url": format!("{SITE}/{id}"),
                "canonical_url": req["article"]["canonical_url"],
                "title": req["article"]["title"],
                "published": req["article"]["published"],
                "body_markdown": req["article"]["body_markdown"],
            });
            s.posts.push(post.clone());
            post
        }
        Platform::Hashnode => {
            let input = &req["variables"]["input"];
            let id = format!("{:024x}", 1000 + s.posts.len());
            let post = json!({
                "id": id,
                "slug": input["slug"],
                "url": format!("https://standin.hashnode.dev/{}", input["slug"].as_str().unwrap_or("")),
                "canonicalUrl": input["originalArticleURL"],
                "title": input["title"],
                "contentMarkdown": input["contentMarkdown"],
            });
            s.posts.push(post.clone());
            json!({"data": {"publishPost": {"post": post}}})
        }
        Platform::Medium => {
            let id = format!("m{}", 1000 + s.posts.len());
            let post = json!({
                "id": id,
                "url": format!("https://medium.com/@standin/{id}"),
                "title": req["title"],
                "canonicalUrl": req["canonicalUrl"],
                "publishStatus": req["publishStatus"],
                "content": req["content"],
            });
            s.posts.push(post.clone());
            json!({ "data": post })
        }
        Platform::Opensearch => {
            // PUT by id replaces: one document per id.
            let id = path.rsplit('/').next().unwrap_or_default().to_string();
            let existing = s.posts.iter_mut().find(|p| p["id"] == id.as_str());
            let fresh = existing.is_none();
            match existing {
                Some(p) => p["doc"] = req,
                None => s.posts.push(json!({ "id": id, "doc": req })),
            }
            let result = if fresh { "created" } else { "updated" };
            json!({"_id": id, "_version": 1, "result": result})
        }
    }
}

/// Whether this request creates something (the one faults are programmed for).
fn is_create(platform: Platform, method: &str, path: &str, body: &[u8]) -> bool {
    match platform {
        Platform::Hashnode => {
            method == "POST" && String::from_utf8_lossy(body).contains("publishPost(")
        }
        Platform::Devto => method == "POST" && path == "/api/articles",
        Platform::Medium => {
            method == "POST" && path.starts_with("/v1/users/") && path.ends_with("/posts")
        }
        Platform::Opensearch => method == "PUT" && path.contains("/_doc/"),
    }
}

fn serve(platform: Platform, stream: TcpStream, state: &Mutex<State>) {
    let Some(req) = read_request(&stream) else {
        return;
    };
    let path = req.path.split('?').next().unwrap_or_default().to_string();
    if is_create(platform, &req.method, &path, &req.body) {
        create(platform, stream, state, &path, &req.body);
        return;
    }
    let gql: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
    let query = gql["query"].as_str().unwrap_or_default();
    match (platform, req.method.as_str(), path.as_str()) {
        (Platform::Hashnode, "POST", _) if query.contains("publication(") => {
            let slug = &gql["variables"]["slug"];
            let posts = state.lock().unwrap().posts.clone();
            let found = posts.into_iter().find(|p| &p["slug"] == slug);
            let publication = json!({"id": gql["variables"]["publicationId"], "post": found});
            let body = json!({"data": {"publication": publication}});
            respond(&stream, 200, &[], &body.to_string());
        }
        (Platform::Hashnode, "POST", _) if query.contains("updatePost(") => {
            let input = &gql["variables"]["input"];
            let mut s = state.lock().unwrap();
            let found = s
                .posts
                .iter_mut()
                .find(|p| p["id"] == input["id"])
                .map(|p| {
                    for field in ["title", "contentMarkdown"] {
                        if !input[field].is_null() {
                            p[field] = input[field].clone();
                        }
                    }
                    p.clone()
                });
            drop(s);
            let body = match found {
                Some(post) => json!({"data": {"updatePost": {"post": post}}}),
                None => {
                    json!({"data": null, "errors": [{"message": "Post not found", "extensions": {"code": "NOT_FOUND"}}]})
                }
            };
            respond(&stream, 200, &[], &body.to_string());
        }
        (Platform::Medium, "GET", "/v1/me") => {
            let me = json!({"data": {"id": "standin-author", "username": "standin"}});
            respond(&stream, 200, &[], &me.to_string());
        }
        (Platform::Devto, "GET", "/api/articles/me/all") => {
            // One page holds everything the tests create.
            let posts = state.lock().unwrap().posts.clone();
            let body = if req.path.ends_with("page=1") {
                Value::Array(posts)
            } else {
                json!([])
            };
            respond(&stream, 200, &[], &body.to_string());
        }
        (Platform::Devto, "PUT", p) if p.starts_with("/api/articles/") => {
            let id: u64 = p.trim_start_matches("/api/articles/").parse().unwrap_or(0);
            let article = serde_json::from_slice::<Value>(&req.body).unwrap_or(Value::Null)
                ["article"]
                .clone();
            let found = state
                .lock()
                .unwrap()
                .posts
                .iter_mut()
                .find(|a| a["id"] == json!(id))
                .map(|a| {
                    for field in ["title", "body_markdown", "canonical_url", "published"] {
                        if !article[field].is_null() {
                            a[field] = article[field].clone();
                        }
                    }
                    a.clone()
                });
            match found {
                Some(post) => respond(&stream, 200, &[], &post.to_string()),
                None => respond(&stream, 404, &[], r#"{"error":"not found","status":404}"#),
            }
        }
        _ => respond(&stream, 404, &[], r#"{"error":"not found","status":404}"#),
    }
}

fn create(platform: Platform, stream: TcpStream, state: &Mutex<State>, path: &str, body: &[u8]) {
    let fault = {
        let mut s = state.lock().unwrap();
        s.creates += 1;
        if s.program.is_empty() {
            None
        } else {
            Some(s.program.remove(0))
        }
    };
    match fault {
        None => {
            let post = store(platform, state, path, body);
            respond(&stream, 201, &[], &post.to_string());
        }
        Some(Fault::TooMany(after)) => {
            let extra: Vec<(&str, String)> = after
                .map(|s| ("retry-after", s.to_string()))
                .into_iter()
                .collect();
            respond(
                &stream,
                429,
                &extra,
                r#"{"error":"Rate limit reached","status":429}"#,
            );
        }
        Some(Fault::Status(code)) => {
            let body = json!({"error": "stand-in fault", "status": code}).to_string();
            respond(&stream, code, &[], &body);
        }
        Some(Fault::Reset) => reset(stream),
        Some(Fault::Slow(d)) => {
            let post = store(platform, state, path, body);
            std::thread::sleep(d);
            respond(&stream, 201, &[], &post.to_string());
        }
        Some(Fault::Lost) => {
            store(platform, state, path, body);
            reset(stream);
        }
        Some(Fault::Malformed) => {
            store(platform, state, path, body);
            respond(&stream, 201, &[], r#"{"id": 10"#);
        }
    }
}
