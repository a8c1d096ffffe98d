//! Keras model configurations (`config.json` of `.keras` archives, the
//! `model_config` attribute of `.h5` files): Lambda layers carry Python
//! bytecode, and `module`/`function` references make Keras import arbitrary
//! callables while deserialising.

use serde_json::Value;

use crate::finding::{ModelFinding, Severity, printable};
use crate::pickle::policy::{self, Verdict};
use crate::rules;

/// Namespaces Keras resolves its own objects from.
const KERAS_MODULES: &[&str] = &[
    "keras",
    "tensorflow",
    "tf_keras",
    "keras_nlp",
    "keras_hub",
    "keras_cv",
];

fn is_keras_module(module: &str) -> bool {
    KERAS_MODULES.iter().any(|root| {
        module == *root
            || module
                .strip_prefix(root)
                .is_some_and(|rest| rest.starts_with('.'))
    })
}

/// Analyses one configuration document; returns the model class
/// (`Sequential`, `Functional`, ...) for the inventory.
pub fn analyse_config(
    json: &[u8],
    origin: &str,
    member: Option<&str>,
    findings: &mut Vec<ModelFinding>,
) -> Option<String> {
    let config: Value = match serde_json::from_slice(json) {
        Ok(config) => config,
        Err(err) => {
            findings.push(
                ModelFinding::new(
                    rules::MALFORMED,
                    Severity::Medium,
                    "keras-config-not-json",
                    format!("keras: {origin} is not valid JSON: {err}"),
                )
                .in_member(member),
            );
            return None;
        }
    };
    let mut walker = Walker {
        origin,
        member,
        findings,
    };
    walker.visit(&config, "", false);
    config
        .get("class_name")
        .and_then(Value::as_str)
        .map(|c| printable(c.as_bytes(), 80))
}

struct Walker<'a> {
    origin: &'a str,
    member: Option<&'a str>,
    findings: &'a mut Vec<ModelFinding>,
}

impl Walker<'_> {
    fn visit(&mut self, value: &Value, path: &str, in_lambda: bool) {
        match value {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.visit(item, &format!("{path}[{i}]"), in_lambda);
                }
            }
            Value::Object(map) => {
                let class_name = map.get("class_name").and_then(Value::as_str);
                let config = map.get("config");
                let mut in_lambda = in_lambda;
                if class_name == Some("Lambda") || (class_name == Some("__lambda__") && !in_lambda)
                {
                    let layer = config
                        .and_then(|c| c.get("name"))
                        .and_then(Value::as_str)
                        .unwrap_or("<unnamed>");
                    let layer = printable(layer.as_bytes(), 80);
                    self.findings.push(
                        ModelFinding::new(
                            rules::KERAS_LAMBDA,
                            Severity::High,
                            format!("Lambda:{layer}"),
                            format!(
                                "keras: {} declares a Lambda layer {layer:?} at {}; its serialized Python code runs on load",
                                self.origin,
                                if path.is_empty() { "/" } else { path }
                            ),
                        )
                        .in_member(self.member),
                    );
                    in_lambda = true;
                }
                self.check_reference(map, path);
                for (key, child) in map {
                    self.visit(child, &format!("{path}/{key}"), in_lambda);
                }
            }
            _ => {}
        }
    }

    /// `{"module": "os", "class_name": "function", "config": "system"}` and
    /// legacy Lambda `{"function": "system", "function_type": "function", "module": "os"}`.
    fn check_reference(&mut self, map: &serde_json::Map<String, Value>, path: &str) {
        let Some(module) = map.get("module").and_then(Value::as_str) else {
            return;
        };
        if is_keras_module(module) {
            return;
        }
        let class_name = map.get("class_name").and_then(Value::as_str);
        let name = if class_name == Some("function") {
            map.get("config").and_then(Value::as_str)
        } else if map.get("function_type").and_then(Value::as_str) == Some("function") {
            map.get("function").and_then(Value::as_str)
        } else {
            class_name
        }
        .unwrap_or("");
        let (severity, what) = match policy::classify(module, name) {
            Verdict::CodeExecution => (Severity::Critical, "a code-execution callable"),
            Verdict::Dangerous => (Severity::High, "a dangerous callable"),
            Verdict::Safe | Verdict::Unknown => (Severity::Medium, "an object outside Keras"),
        };
        let target = if name.is_empty() {
            module.to_string()
        } else {
            format!("{module}.{name}")
        };
        let target = printable(target.as_bytes(), 160);
        self.findings.push(
            ModelFinding::new(
                rules::KERAS_UNSAFE_REFERENCE,
                severity,
                target.clone(),
                format!(
                    "keras: {} references {what} `{target}` at {}; Keras imports it while loading",
                    self.origin,
                    if path.is_empty() { "/" } else { path }
                ),
            )
            .in_member(self.member),
        );
    }
}
