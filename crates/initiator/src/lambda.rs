//! The API Gateway (HTTP API, payload 2.0) adapter: a `lambda_http` request in, a response out.

use lambda_http::{Body, Request, Response};

use crate::webhook::{Delivery, Initiator};

/// Runs one delivery through [`Initiator::handle`] and builds the HTTP response.
pub async fn handle_request(
    initiator: &Initiator,
    req: Request,
    now_ms: i64,
) -> Result<Response<Body>, lambda_http::http::Error> {
    let headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .filter_map(|(n, v)| Some((n.as_str().to_string(), v.to_str().ok()?.to_string())))
        .collect();
    let body: &[u8] = req.body().as_ref();
    let answer = initiator
        .handle(
            Delivery {
                headers: &headers,
                body,
            },
            now_ms,
        )
        .await;
    Response::builder()
        .status(answer.status)
        .header("content-type", "application/json")
        .body(Body::Text(answer.body.to_string()))
}
