//! `Status` errors, worded as the real API server words them (the messages
//! come from k8s.io/apimachinery `errors.New*`), so that kubectl and kube-rs
//! print and classify them as they would against a cluster.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::resources::ResourceType;

/// An API error, sent as a `Status` object.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
    pub details: Option<Value>,
}

impl ApiError {
    fn new(code: u16, reason: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            reason,
            message: message.into(),
            details: None,
        }
    }

    fn with_details(mut self, rt: &ResourceType, name: Option<&str>) -> ApiError {
        let mut details = Map::new();
        if let Some(name) = name {
            details.insert("name".into(), json!(name));
        }
        if !rt.group.is_empty() {
            details.insert("group".into(), json!(rt.group));
        }
        details.insert("kind".into(), json!(rt.plural));
        self.details = Some(Value::Object(details));
        self
    }

    /// `services "web" not found`
    pub fn not_found(rt: &ResourceType, name: &str) -> ApiError {
        ApiError::new(
            404,
            "NotFound",
            format!("{} {name:?} not found", rt.qualified_plural()),
        )
        .with_details(rt, Some(name))
    }

    /// A path the server does not serve.
    pub fn no_such_path() -> ApiError {
        let mut err = ApiError::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        );
        err.details = Some(json!({}));
        err
    }

    pub fn already_exists(rt: &ResourceType, name: &str) -> ApiError {
        ApiError::new(
            409,
            "AlreadyExists",
            format!("{} {name:?} already exists", rt.qualified_plural()),
        )
        .with_details(rt, Some(name))
    }

    pub fn conflict(rt: &ResourceType, name: &str) -> ApiError {
        ApiError::new(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {} {name:?}: the object has been modified; please apply your changes to the latest version and try again",
                rt.qualified_plural()
            ),
        )
        .with_details(rt, Some(name))
    }

    /// `pods is forbidden: User "u" cannot list resource "pods" in API group "" in the namespace "default"`
    pub fn forbidden(
        user: &str,
        verb: &str,
        rt: &ResourceType,
        subresource: Option<&str>,
        namespace: Option<&str>,
        name: Option<&str>,
    ) -> ApiError {
        let subject = match name {
            Some(name) => format!("{} {name:?}", rt.qualified_plural()),
            None => rt.qualified_plural(),
        };
        let resource = match subresource {
            Some(sub) => format!("{}/{sub}", rt.plural),
            None => rt.plural.to_string(),
        };
        let scope = match namespace {
            Some(ns) => format!("in the namespace {ns:?}"),
            None => "at the cluster scope".to_string(),
        };
        ApiError::new(
            403,
            "Forbidden",
            format!(
                "{subject} is forbidden: User {user:?} cannot {verb} resource {resource:?} in API group {:?} {scope}",
                rt.group
            ),
        )
        .with_details(rt, name)
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(400, "BadRequest", message)
    }

    /// `Service "web" is invalid: reason` (422).
    pub fn invalid(rt: &ResourceType, name: &str, message: &str) -> ApiError {
        ApiError::new(
            422,
            "Invalid",
            format!("{} {name:?} is invalid: {message}", rt.kind),
        )
        .with_details(rt, Some(name))
    }

    pub fn method_not_allowed(method: &str) -> ApiError {
        ApiError::new(
            405,
            "MethodNotAllowed",
            format!("the server does not allow this method on the requested resource ({method})"),
        )
    }

    pub fn unsupported_patch(content_type: &str) -> ApiError {
        ApiError::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format ({content_type}) - accepted media types include: application/json-patch+json, application/merge-patch+json"
            ),
        )
    }

    pub fn internal(message: &str) -> ApiError {
        let mut err = ApiError::new(
            500,
            "InternalError",
            format!("Internal error occurred: {message}"),
        );
        err.details = Some(json!({"causes": [{"message": message}]}));
        err
    }

    pub fn unauthorized() -> ApiError {
        ApiError::new(401, "Unauthorized", "Unauthorized")
    }

    /// The in-stream error of a watch whose resourceVersion is too old.
    pub fn expired(message: String) -> ApiError {
        ApiError::new(410, "Expired", message)
    }

    pub fn to_value(&self) -> Value {
        let mut status = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        if let Some(details) = &self.details {
            status["details"] = details.clone();
        }
        status
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let code = StatusCode::from_u16(self.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        json_response(code, self.to_value().to_string())
    }
}

/// A JSON body with its status code.
pub fn json_response(code: StatusCode, body: impl Into<axum::body::Body>) -> Response {
    let mut response = (code, body.into()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// The `Status` of a successful delete-all (used by the admin path).
pub fn success() -> Value {
    json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::resources::{RESOURCES, by_path};

    fn rt(group: &str, plural: &str) -> &'static ResourceType {
        let version = "v1";
        &RESOURCES[by_path(group, version, plural).unwrap_or_default()]
    }

    #[test]
    fn messages_match_the_real_server() {
        let pods = rt("", "pods");
        assert_eq!(
            ApiError::forbidden("sandbox-user", "list", pods, None, Some("default"), None).message,
            r#"pods is forbidden: User "sandbox-user" cannot list resource "pods" in API group "" in the namespace "default""#
        );
        let nodes = rt("", "nodes");
        assert_eq!(
            ApiError::forbidden("u", "get", nodes, None, None, Some("n1")).message,
            r#"nodes "n1" is forbidden: User "u" cannot get resource "nodes" in API group "" at the cluster scope"#
        );
        let deployments = rt("apps", "deployments");
        let err = ApiError::not_found(deployments, "web");
        assert_eq!(err.message, r#"deployments.apps "web" not found"#);
        assert_eq!(
            err.to_value()["details"],
            json!({"name": "web", "group": "apps", "kind": "deployments"})
        );
    }
}
