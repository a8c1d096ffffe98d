//! Writes every policy's examples as files, for benchmarks:
//! `iac_examples_corpus <out-dir>` creates
//! `<out-dir>/<framework>/<policy>/{vulnerable,fixed}-<n>/<file>` (file
//! name chosen so any scanner routes it: `main.tf`, `template.yaml`,
//! `manifest.yaml`, `Dockerfile`, `.github/workflows/ci.yml`) and prints a
//! JSON list of (path, policy id, theme, vulnerable) labels.

use std::path::Path;

use cordon_iac_engine::{Framework, POLICY_FILES, parse_policy_file};
use serde_json::json;

fn file_name(framework: Framework) -> &'static str {
    match framework {
        Framework::Terraform => "main.tf",
        Framework::Cloudformation => "template.yaml",
        Framework::Kubernetes => "manifest.yaml",
        Framework::Dockerfile => "Dockerfile",
        Framework::GithubActions => ".github/workflows/ci.yml",
    }
}

fn main() {
    let Some(out) = std::env::args().nth(1) else {
        eprintln!("usage: iac_examples_corpus <out-dir>");
        std::process::exit(2);
    };
    // The policy files themselves: the embedded built-ins carry no examples.
    let policies = POLICY_FILES
        .iter()
        .flat_map(|(file, text)| parse_policy_file(file, text).expect("built-in policies load"));
    let mut labels = Vec::new();
    for policy in policies {
        let slug = policy.id.trim_start_matches("iac/");
        let sets = [
            (true, &policy.examples.vulnerable),
            (false, &policy.examples.fixed),
        ];
        for (vulnerable, examples) in sets {
            for (index, example) in examples.iter().enumerate() {
                let case = format!(
                    "{}-{index}",
                    if vulnerable { "vulnerable" } else { "fixed" }
                );
                let relative = format!(
                    "{}/{slug}/{case}/{}",
                    policy.framework,
                    file_name(policy.framework)
                );
                let path = Path::new(&out).join(&relative);
                std::fs::create_dir_all(path.parent().expect("has a parent"))
                    .expect("create directory");
                std::fs::write(&path, example).expect("write example");
                labels.push(json!({
                    "path": relative,
                    "policy": policy.id,
                    "theme": policy.theme.to_string(),
                    "vulnerable": vulnerable,
                }));
            }
        }
    }
    println!(
        "{}",
        serde_json::to_string_pretty(&labels).expect("labels serialise")
    );
}
