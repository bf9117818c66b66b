//! A bounded load on `crosspost serve`: `posts` distinct posts, each delivered `copies` times
//! (signed, in a shuffled order, so copies of one post often arrive at the same moment), over
//! `concurrency` keep-alive connections on loopback. Shared by the load test, which checks that
//! every post is processed exactly once, and `cargo bench --bench load`, which reports the
//! numbers. Uses `serve.rs` beside it.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::serve as support;

/// The shape of one load.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub posts: usize,
    pub copies: usize,
    pub concurrency: usize,
}

/// One delivery's answer.
#[derive(Debug, Clone)]
pub struct Answer {
    pub post: usize,
    pub status: u16,
    pub latency: Duration,
    pub body: Value,
}

/// What a load measured.
#[derive(Debug)]
pub struct Outcome {
    pub answers: Vec<Answer>,
    /// From the first request to the last answer.
    pub sending: Duration,
    /// From the first request until every post's run had finished.
    pub processed: Duration,
    /// The most deliveries that were in flight at once.
    pub max_in_flight: usize,
}

impl Outcome {
    /// Deliveries answered per second of `sending`.
    pub fn throughput(&self) -> f64 {
        self.answers.len() as f64 / self.sending.as_secs_f64()
    }

    /// The latency at quantile `q` (0..=1), nearest rank.
    pub fn latency(&self, q: f64) -> Duration {
        let mut l: Vec<Duration> = self.answers.iter().map(|a| a.latency).collect();
        l.sort();
        if l.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((q * l.len() as f64).ceil() as usize).clamp(1, l.len());
        l[rank - 1]
    }

    pub fn summary(&self, plan: Plan) -> String {
        format!(
            "{} deliveries of {} posts at {} connections: {:.0} deliveries/s (sent in {:.2} s), \
             latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; every run finished after {:.2} s",
            self.answers.len(),
            plan.posts,
            plan.concurrency,
            self.throughput(),
            self.sending.as_secs_f64(),
            self.latency(0.50).as_secs_f64() * 1e3,
            self.latency(0.99).as_secs_f64() * 1e3,
            self.latency(1.0).as_secs_f64() * 1e3,
            self.processed.as_secs_f64(),
        )
    }
}

/// The slug of post `i`.
pub fn slug(i: usize) -> String {
    format!("load-post-{i:04}")
}

/// Post `i`: the example post with its own id, slug and title.
pub fn post_body(example: &Value, i: usize) -> Vec<u8> {
    let mut body = example.clone();
    body["_id"] = json!(format!("post-load-{i:04}"));
    body["_rev"] = json!(format!("rev-load-{i:04}"));
    body["slug"]["current"] = json!(slug(i));
    body["title"] = json!(format!("Load test post {i}"));
    serde_json::to_vec(&body).unwrap()
}

/// Every delivery as a post index, shuffled with a fixed seed (splitmix64, Fisher–Yates).
pub fn order(plan: Plan) -> Vec<usize> {
    let mut order: Vec<usize> = (0..plan.copies).flat_map(|_| 0..plan.posts).collect();
    let mut seed: u64 = 0x5eed_0fc0_ffee;
    let mut next = || {
        seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = seed;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    for i in (1..order.len()).rev() {
        let j = (next() % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
    order
}

/// Sends the load to `server` (started with a log) and waits until it has finished a run for
/// every post (or `within` has passed, which panics).
pub fn drive(server: &support::Server, plan: Plan, within: Duration) -> Outcome {
    let port = server.port;
    let example = support::example_body();
    let bodies: Arc<Vec<Vec<u8>>> =
        Arc::new((0..plan.posts).map(|i| post_body(&example, i)).collect());
    let order = Arc::new(order(plan));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}/webhook");
    let next = Arc::new(AtomicUsize::new(0));
    let answers = Arc::new(Mutex::new(Vec::with_capacity(order.len())));
    let in_flight = Arc::new(AtomicUsize::new(0));
    let max_in_flight = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    runtime.block_on(async {
        let mut workers = Vec::new();
        for _ in 0..plan.concurrency {
            // One client per worker with one pooled connection: `concurrency` connections, each
            // kept alive across its deliveries.
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap();
            let (bodies, order, next, answers, url) = (
                Arc::clone(&bodies),
                Arc::clone(&order),
                Arc::clone(&next),
                Arc::clone(&answers),
                url.clone(),
            );
            let (in_flight, max_in_flight) = (Arc::clone(&in_flight), Arc::clone(&max_in_flight));
            workers.push(tokio::spawn(async move {
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&post) = order.get(k) else { break };
                    let body = bodies[post].clone();
                    let mut req = client.post(&url).header("content-type", "application/json");
                    for (n, v) in support::signed_headers(&body) {
                        req = req.header(n, v);
                    }
                    let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                    max_in_flight.fetch_max(now, Ordering::SeqCst);
                    let sent = Instant::now();
                    let resp = req.body(body).send().await.unwrap();
                    let status = resp.status().as_u16();
                    let body: Value = resp.json().await.unwrap_or(Value::Null);
                    let latency = sent.elapsed();
                    in_flight.fetch_sub(1, Ordering::SeqCst);
                    answers.lock().unwrap().push(Answer {
                        post,
                        status,
                        latency,
                        body,
                    });
                }
            }));
        }
        for w in workers {
            w.await.unwrap();
        }
    });
    let sending = start.elapsed();
    server.wait_for_executions(plan.posts, within);
    let processed = start.elapsed();
    let answers = std::mem::take(&mut *answers.lock().unwrap());
    Outcome {
        answers,
        sending,
        processed,
        max_in_flight: max_in_flight.load(Ordering::SeqCst),
    }
}
