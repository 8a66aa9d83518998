//! Every error the server answers, API or page, is JSON of one shape:
//! `{"error": {"status": 404, "message": "...", "hint": "..."}}`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
    /// What to do instead: every error has one.
    hint: String,
    /// Beside `error`, for answers that offer choices (`candidates` of an ambiguous id).
    extra: Option<Box<(&'static str, Value)>>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            hint: hint.into(),
            extra: None,
        }
    }

    pub fn bad_request(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message, hint)
    }

    pub fn not_found(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message, hint)
    }

    pub fn with(mut self, key: &'static str, value: Value) -> Self {
        self.extra = Some(Box::new((key, value)));
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({
            "error": {
                "status": self.status.as_u16(),
                "message": self.message,
                "hint": self.hint,
            }
        });
        if let Some((key, value)) = self.extra.map(|extra| *extra) {
            body[key] = value;
        }
        json_response(self.status, &body)
    }
}

pub const JSON: HeaderValue = HeaderValue::from_static("application/json");

pub fn json_response(status: StatusCode, value: &impl Serialize) -> Response {
    match serde_json::to_vec(value) {
        Ok(bytes) => (status, [(header::CONTENT_TYPE, JSON)], bytes).into_response(),
        // Only a map with non-string keys fails to serialise; none is built here.
        Err(error) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            [(header::CONTENT_TYPE, JSON)],
            format!(
                r#"{{"error":{{"status":500,"message":{},"hint":"report this as a bug"}}}}"#,
                Value::from(error.to_string())
            ),
        )
            .into_response(),
    }
}
