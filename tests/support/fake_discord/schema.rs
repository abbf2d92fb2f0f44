//! Request bodies checked as Discord checks them: against the request schema of the matching route
//! in Discord's own OpenAPI description (`tests/data/discord/openapi.json`, see its README), plus
//! the one documented limit a schema cannot say (6,000 characters over a message's embeds).
//! A violation is answered like Discord: 400 `{"code": 50035, "message": "Invalid Form Body",
//! "errors": {...}}`, the errors nested by field as Discord nests them.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, OnceLock},
};

use jsonschema::{error::ValidationErrorKind as K, ValidationError, Validator};
use serde_json::{json, Map, Value};

/// (method, template) → compiled request schema; `None` when the route takes no body.
type Compiled = HashMap<(String, String), Option<Arc<Validator>>>;

struct Spec {
    /// `components` (with the known quirk patched), merged into every route's schema so the
    /// `#/components/...` references resolve inside the one document.
    components: Value,
    paths: Map<String, Value>,
    compiled: Mutex<Compiled>,
}

fn spec() -> &'static Spec {
    static SPEC: OnceLock<Spec> = OnceLock::new();
    SPEC.get_or_init(|| {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/discord/openapi.json"
        );
        let text = std::fs::read_to_string(path).expect("tests/data/discord/openapi.json");
        let mut doc: Value = serde_json::from_str(&text).expect("openapi.json is JSON");
        let mut components = doc["components"].take();
        patch_quirks(&mut components);
        let paths = doc["paths"].as_object().cloned().unwrap_or_default();
        Spec {
            components,
            paths,
            compiled: Mutex::default(),
        }
    })
}

/// Known quirks of the spec. It types `default_member_permissions` of command *requests* as an
/// integer, while Discord's documentation, its responses and every library (serenity included)
/// use a string.
fn patch_quirks(components: &mut Value) {
    let Some(schemas) = components["schemas"].as_object_mut() else {
        return;
    };
    for schema in schemas.values_mut() {
        if let Some(p) = schema.pointer_mut("/properties/default_member_permissions") {
            p["type"] = json!(["integer", "string", "null"]);
        }
    }
    // An attachment's `id` is a snowflake string in the spec, but a new file's is the number of
    // its `files[n]` part, written as an integer in Discord's own "Uploading Files" example
    // (`"attachments": [{"id": 0, …}]`) and by serenity.
    if let Some(id) = schemas
        .get_mut("MessageAttachmentRequest")
        .and_then(|s| s.pointer_mut("/properties/id"))
    {
        *id = json!({"anyOf": [{"$ref": "#/components/schemas/SnowflakeType"},
                               {"type": "integer", "minimum": 0}]});
    }
}

/// The OpenAPI path template for `path` (without `/api/v10`), literal segments preferred
/// (`messages/@original` over `messages/{message_id}`).
fn template(spec: &Spec, path: &str) -> Option<String> {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let mut best: Option<(usize, &String)> = None;
    for t in spec.paths.keys() {
        let tsegs: Vec<&str> = t.trim_matches('/').split('/').collect();
        if tsegs.len() != segs.len() {
            continue;
        }
        let mut literal = 0;
        let fits = tsegs.iter().zip(&segs).all(|(t, s)| {
            if t.starts_with('{') {
                true
            } else {
                literal += 1;
                t == s
            }
        });
        if fits && best.is_none_or(|(n, _)| literal > n) {
            best = Some((literal, t));
        }
    }
    best.map(|(_, t)| t.clone())
}

fn validator(spec: &Spec, method: &str, template: &str) -> Option<Arc<Validator>> {
    let key = (method.to_string(), template.to_string());
    let mut compiled = spec.compiled.lock().unwrap_or_else(|p| p.into_inner());
    compiled
        .entry(key)
        .or_insert_with(|| {
            let op = &spec.paths[template][method.to_lowercase()];
            let schema = op.pointer("/requestBody/content/application~1json/schema")?;
            let mut root = schema.clone();
            root["components"] = spec.components.clone();
            let v = jsonschema::draft202012::options()
                .build(&root)
                .unwrap_or_else(|e| panic!("schema of {method} {template}: {e}"));
            Some(Arc::new(v))
        })
        .clone()
}

/// `Err(errors)` in Discord's shape when `body` is not what Discord accepts on this route.
/// Routes the spec does not know (the fake's own `/attachments/…`) are not checked.
pub(crate) fn check(method: &str, path: &str, body: &Value) -> Result<(), Value> {
    let spec = spec();
    let Some(template) = template(spec, path) else {
        return Ok(());
    };
    let mut found = Vec::new();
    if let Some(v) = validator(spec, method, &template) {
        for e in v.iter_errors(body) {
            leaves(&e, &mut found);
        }
    }
    embed_total(body, &mut found);
    if found.is_empty() {
        return Ok(());
    }
    let mut errors = json!({});
    for (pointer, code, message) in found {
        nest(&mut errors, &pointer, code, &message);
    }
    Err(errors)
}

/// Discord: the characters of all titles, descriptions, field names and values, footers and
/// author names of a message's embeds add up to at most 6,000.
fn embed_total(body: &Value, found: &mut Vec<(String, &'static str, String)>) {
    for (pointer, embeds) in [
        ("/embeds", &body["embeds"]),
        ("/data/embeds", &body["data"]["embeds"]),
    ] {
        let Some(embeds) = embeds.as_array() else {
            continue;
        };
        let len = |v: &Value| v.as_str().map_or(0, |s| s.chars().count());
        let total: usize = embeds
            .iter()
            .map(|e| {
                let fields = e["fields"].as_array().map_or(0, |fs| {
                    fs.iter().map(|f| len(&f["name"]) + len(&f["value"])).sum()
                });
                len(&e["title"])
                    + len(&e["description"])
                    + len(&e["footer"]["text"])
                    + len(&e["author"]["name"])
                    + fields
            })
            .sum();
        if total > 6000 {
            let message = format!("Embed size exceeds maximum size of 6000 ({total})");
            found.push((pointer.to_string(), "BASE_TYPE_MAX_LENGTH", message));
        }
    }
}

/// Flatten `anyOf`/`oneOf` failures into the branch that matched the value's shape (the one whose
/// errors all lie deeper and do not reject its `type`), as Discord reports the field at fault.
fn leaves(e: &ValidationError, out: &mut Vec<(String, &'static str, String)>) {
    let at = e.instance_path.as_str().to_string();
    if let K::AnyOf { context } | K::OneOfNotValid { context } = &e.kind {
        let depth = at.matches('/').count();
        let type_path = format!("{at}/type");
        let best = context
            .iter()
            .filter(|branch| {
                branch.iter().all(|x| {
                    let p = x.instance_path.as_str();
                    p.matches('/').count() > depth && p != type_path
                })
            })
            .min_by_key(|branch| branch.len());
        if let Some(branch) = best {
            for x in branch {
                leaves(x, out);
            }
            return;
        }
    }
    let (pointer, code) = match &e.kind {
        K::Required { property } => (
            format!("{at}/{}", property.as_str().unwrap_or_default()),
            "BASE_TYPE_REQUIRED",
        ),
        K::MaxLength { .. } | K::MaxItems { .. } => (at, "BASE_TYPE_MAX_LENGTH"),
        K::MinLength { .. } | K::MinItems { .. } => (at, "BASE_TYPE_MIN_LENGTH"),
        K::Maximum { .. } | K::ExclusiveMaximum { .. } => (at, "NUMBER_TYPE_MAX"),
        K::Minimum { .. } | K::ExclusiveMinimum { .. } => (at, "NUMBER_TYPE_MIN"),
        K::Enum { .. } | K::Constant { .. } => (at, "BASE_TYPE_CHOICES"),
        K::Type { .. } => (at, "BASE_TYPE_BAD_TYPE"),
        _ => (at, "BASE_TYPE_INVALID"),
    };
    out.push((pointer, code, e.to_string()));
}

/// `{"data": {"content": {"_errors": [{"code", "message"}]}}}` for pointer `/data/content`.
fn nest(errors: &mut Value, pointer: &str, code: &str, message: &str) {
    let mut node = errors;
    for seg in pointer.split('/').filter(|s| !s.is_empty()) {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        node = &mut node[seg.as_str()];
        if node.is_null() {
            *node = json!({});
        }
    }
    if node.is_null() {
        *node = json!({});
    }
    let list = &mut node["_errors"];
    if !list.is_array() {
        *list = json!([]);
    }
    if let Some(l) = list.as_array_mut() {
        l.push(json!({"code": code, "message": message}));
    }
}
