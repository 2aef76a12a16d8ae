//! The web UI: plain HTML, CSS and JavaScript compiled into the binary
//! (`crates/master/webui/`), served at `/` and `/assets/<file>`. Nothing is
//! built or fetched from a network; the page talks to the master through
//! the operator API and its event stream.

use axum::extract::Path;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};

/// Every asset: name, content type, content.
const ASSETS: &[(&str, &str, &str)] = &[
    ("index.html", "text/html; charset=utf-8", include_str!("../../webui/index.html")),
    ("app.css", "text/css; charset=utf-8", include_str!("../../webui/app.css")),
    ("api.js", "text/javascript; charset=utf-8", include_str!("../../webui/api.js")),
    ("model.js", "text/javascript; charset=utf-8", include_str!("../../webui/model.js")),
    ("chart.js", "text/javascript; charset=utf-8", include_str!("../../webui/chart.js")),
    ("views.js", "text/javascript; charset=utf-8", include_str!("../../webui/views.js")),
    ("task.js", "text/javascript; charset=utf-8", include_str!("../../webui/task.js")),
    ("app.js", "text/javascript; charset=utf-8", include_str!("../../webui/app.js")),
];

fn serve(name: &str) -> Response {
    match ASSETS.iter().find(|(asset, _, _)| *asset == name) {
        Some((_, content_type, content)) => {
            let mut response = (*content).into_response();
            response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
            response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            response
        }
        None => (StatusCode::NOT_FOUND, "No such asset").into_response(),
    }
}

/// `/`: the UI's page.
pub async fn index() -> Response {
    serve("index.html")
}

/// `/assets/<file>`.
pub async fn asset(Path(file): Path<String>) -> Response {
    serve(&file)
}
