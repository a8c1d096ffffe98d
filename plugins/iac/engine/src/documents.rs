//! CloudFormation templates, Kubernetes manifests and GitHub Actions
//! workflows: YAML (or JSON) documents lowered into units.

use crate::node::{Node, Value};
use crate::unit::Unit;

/// A template: has a format version, or resources whose types are AWS's.
pub fn is_cloudformation(doc: &Node) -> bool {
    if doc.get("AWSTemplateFormatVersion").is_some() {
        return true;
    }
    doc.get("Resources")
        .and_then(Node::as_map)
        .is_some_and(|resources| {
            resources.iter().any(|(_, resource)| {
                resource
                    .get("Type")
                    .and_then(Node::as_str)
                    .is_some_and(|kind| kind.starts_with("AWS::"))
            })
        })
}

pub fn is_kubernetes(doc: &Node) -> bool {
    doc.get("apiVersion").and_then(Node::as_str).is_some()
        && doc.get("kind").and_then(Node::as_str).is_some()
}

/// One unit per entry of `Resources`: its `Properties` (empty when there
/// are none), with the logical id added as `_logical_id` and, as
/// `_referenced_by`, the types of the template's resources that refer to
/// it (`Ref`, `Fn::GetAtt`, `${Name}` in `Fn::Sub`): a VPC that no
/// `AWS::EC2::FlowLog` refers to has no flow log.
pub fn cloudformation_units(doc: &Node) -> Vec<Unit> {
    let Some(resources) = doc.get("Resources").and_then(Node::as_map) else {
        return Vec::new();
    };
    let mut referenced_by: std::collections::HashMap<&str, Vec<String>> =
        std::collections::HashMap::new();
    for (logical_id, resource) in resources {
        let Some(kind) = resource.get("Type").and_then(Node::as_str) else {
            continue;
        };
        let mut targets = Vec::new();
        referenced_ids(resource, &mut targets);
        targets.sort_unstable();
        targets.dedup();
        for target in targets {
            if target != logical_id.as_str()
                && let Some((id, _)) = resources.iter().find(|(id, _)| id == target)
            {
                referenced_by
                    .entry(id.as_str())
                    .or_default()
                    .push(kind.to_string());
            }
        }
    }
    resources
        .iter()
        .filter_map(|(logical_id, resource)| {
            let kind = resource.get("Type")?.as_str()?.to_string();
            let mut node = match resource.get("Properties") {
                Some(
                    properties @ Node {
                        value: Value::Map(_),
                        ..
                    },
                ) => properties.clone(),
                _ => Node::new(Value::Map(Vec::new()), resource.pos, resource.end_line),
            };
            opaque_intrinsics(&mut node);
            node.set("_logical_id", Node::str(logical_id, resource.pos));
            let kinds = referenced_by
                .get(logical_id.as_str())
                .into_iter()
                .flatten()
                .map(|kind| Node::str(kind, resource.pos))
                .collect();
            node.set(
                "_referenced_by",
                Node::scalar(Value::List(kinds), resource.pos),
            );
            Some(Unit {
                kind,
                address: logical_id.clone(),
                node,
                pos: resource.pos,
                end_line: resource.end_line,
                inventory: true,
            })
        })
        .chain(output_units(doc))
        .collect()
}

/// One unit per entry of `Outputs`, of kind `Output` (not a resource, so
/// outside the inventory): a stack's outputs are readable by anyone who
/// can describe the stack, and exports by every stack in the account, so
/// a secret routed there is published.
fn output_units(doc: &Node) -> Vec<Unit> {
    let Some(outputs) = doc.get("Outputs").and_then(Node::as_map) else {
        return Vec::new();
    };
    outputs
        .iter()
        .filter(|(_, output)| matches!(output.value, Value::Map(_)))
        .map(|(name, output)| {
            let mut node = output.clone();
            opaque_intrinsics(&mut node);
            Unit {
                kind: "Output".to_string(),
                address: format!("Outputs.{name}"),
                node,
                pos: output.pos,
                end_line: output.end_line,
                inventory: false,
            }
        })
        .collect()
}

/// The logical ids a template value refers to: `{Ref: X}`,
/// `{Fn::GetAtt: [X, Attr]}` or `"X.Attr"`, and `${X}` / `${X.Attr}` in
/// `Fn::Sub` text (pseudo parameters such as `${AWS::Region}` are not ids).
fn referenced_ids<'a>(node: &'a Node, out: &mut Vec<&'a str>) {
    match &node.value {
        Value::Map(entries) if entries.len() == 1 => {
            let (function, argument) = &entries[0];
            match (function.as_str(), &argument.value) {
                ("Ref", Value::Str(id)) => out.push(id),
                ("Fn::GetAtt", Value::List(items)) => {
                    if let Some(id) = items.first().and_then(Node::as_str) {
                        out.push(id);
                    }
                }
                ("Fn::GetAtt", Value::Str(dotted)) => {
                    out.push(dotted.split('.').next().unwrap_or(dotted));
                }
                ("Fn::Sub", _) => {
                    let text = match &argument.value {
                        Value::List(items) => items.first().and_then(Node::as_str),
                        _ => argument.as_str(),
                    };
                    for piece in text.unwrap_or_default().split("${").skip(1) {
                        let name = piece.split(['}', '.']).next().unwrap_or_default();
                        if !name.is_empty() && !name.contains("::") && !name.starts_with('!') {
                            out.push(name);
                        }
                    }
                }
                _ => {}
            }
            referenced_ids(argument, out);
        }
        Value::Map(entries) => entries
            .iter()
            .for_each(|(_, item)| referenced_ids(item, out)),
        Value::List(items) => items.iter().for_each(|item| referenced_ids(item, out)),
        _ => {}
    }
}

/// `{Ref: X}`, `{Fn::Sub: ...}`, `{Fn::If: ...}` are decided at deploy
/// time: they become unknown values (with their text), so a policy
/// comparing them reports "could not evaluate" rather than a guess.
///
/// `Fn::Base64` of a plain string is the exception: CloudFormation only
/// encodes that text (user data is the usual case), so the text is what
/// the resource receives and what a policy should read.
fn opaque_intrinsics(node: &mut Node) {
    if let Value::Map(entries) = &node.value
        && entries.len() == 1
        && entries[0].0 == "Fn::Base64"
        && let Value::Str(text) = &entries[0].1.value
    {
        node.value = Value::Str(text.clone());
        return;
    }
    let rendered = match &node.value {
        Value::Map(entries)
            if entries.len() == 1
                && (entries[0].0 == "Ref" || entries[0].0.starts_with("Fn::")) =>
        {
            let (function, argument) = &entries[0];
            Some(intrinsic_text(function, argument))
        }
        _ => None,
    };
    match (&mut node.value, rendered) {
        (value, Some(text)) => *value = Value::Unknown(text),
        (Value::Map(entries), None) => entries
            .iter_mut()
            .for_each(|(_, item)| opaque_intrinsics(item)),
        (Value::List(items), None) => items.iter_mut().for_each(opaque_intrinsics),
        _ => {}
    }
}

/// The text of an intrinsic function call as the short form would read:
/// `!GetAtt Key.SecretAccessKey` (also from the list form), `!Sub <text>`
/// (also from `[text, variables]`), `!Base64 !Sub <text>`. The literal
/// parts of user data built with `!Base64 !Sub` stay readable to a policy
/// even though the whole value is only known at deploy time.
fn intrinsic_text(function: &str, argument: &Node) -> String {
    let short = function.strip_prefix("Fn::").unwrap_or(function);
    let text = argument.scalar_text().or_else(|| match &argument.value {
        Value::List(items) if function == "Fn::GetAtt" => items
            .iter()
            .map(Node::scalar_text)
            .collect::<Option<Vec<_>>>()
            .map(|parts| parts.join(".")),
        Value::List(items) if function == "Fn::Sub" => items.first().and_then(Node::scalar_text),
        Value::Map(entries)
            if entries.len() == 1
                && (entries[0].0 == "Ref" || entries[0].0.starts_with("Fn::")) =>
        {
            Some(intrinsic_text(&entries[0].0, &entries[0].1))
        }
        _ => None,
    });
    format!("!{short} {}", text.unwrap_or_else(|| "...".into()))
}

/// Where the pod spec sits in each workload kind.
fn pod_spec_path(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "Pod" => &["spec"],
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "ReplicationController"
        | "Job" => &["spec", "template", "spec"],
        "CronJob" => &["spec", "jobTemplate", "spec", "template", "spec"],
        "PodTemplate" => &["template", "spec"],
        _ => return None,
    })
}

/// The object itself (kind = its `kind`), and for workloads a `pod-spec`
/// unit and one `container` unit per container, init container and
/// ephemeral container. A container carries its pod spec as `_pod` so a
/// policy can accept a setting made at either level. `kind: List` is
/// unpacked.
pub fn kubernetes_units(doc: &Node) -> Vec<Unit> {
    let kind = doc.get("kind").and_then(Node::as_str).unwrap_or_default();
    if kind == "List" {
        return doc
            .get("items")
            .and_then(Node::as_list)
            .unwrap_or_default()
            .iter()
            .filter(|item| is_kubernetes(item))
            .flat_map(kubernetes_units)
            .collect();
    }
    let name = doc
        .get("metadata")
        .and_then(|metadata| metadata.get("name"))
        .and_then(Node::scalar_text)
        .unwrap_or_else(|| "<unnamed>".into());
    let address = format!("{kind}/{name}");
    let mut units = vec![Unit {
        kind: kind.to_string(),
        address: address.clone(),
        node: doc.clone(),
        pos: doc.pos,
        end_line: doc.end_line,
        inventory: true,
    }];
    let pod_spec =
        pod_spec_path(kind).and_then(|path| path.iter().try_fold(doc, |node, key| node.get(key)));
    let Some(pod_spec) = pod_spec.filter(|spec| spec.as_map().is_some()) else {
        return units;
    };
    units.push(Unit {
        kind: "pod-spec".into(),
        address: address.clone(),
        node: pod_spec.clone(),
        pos: pod_spec.pos,
        end_line: pod_spec.end_line,
        inventory: false,
    });
    let mut pod_context = pod_spec.clone();
    if let Value::Map(entries) = &mut pod_context.value {
        entries.retain(|(key, _)| !key.ends_with("ontainers"));
    }
    for list in ["initContainers", "containers", "ephemeralContainers"] {
        for container in pod_spec
            .get(list)
            .and_then(Node::as_list)
            .unwrap_or_default()
        {
            let container_name = container
                .get("name")
                .and_then(Node::scalar_text)
                .unwrap_or_else(|| "<unnamed>".into());
            let mut node = container.clone();
            node.set("_pod", pod_context.clone());
            units.push(Unit {
                kind: "container".into(),
                address: format!("{address} container {container_name}"),
                node,
                pos: container.pos,
                end_line: container.end_line,
                inventory: false,
            });
        }
    }
    units
}

/// The workflow (kind `workflow`), each job (`job`, with `_id`) and each
/// step (`step`, addressed `jobs.<id>.steps[<index>]`, 0-based).
pub fn workflow_units(doc: &Node) -> Vec<Unit> {
    let mut units = vec![Unit {
        kind: "workflow".into(),
        address: "workflow".into(),
        node: doc.clone(),
        pos: doc.pos,
        end_line: doc.end_line,
        inventory: true,
    }];
    for (id, job) in doc.get("jobs").and_then(Node::as_map).unwrap_or_default() {
        let mut node = job.clone();
        node.set("_id", Node::str(id, job.pos));
        units.push(Unit {
            kind: "job".into(),
            address: format!("jobs.{id}"),
            node,
            pos: job.pos,
            end_line: job.end_line,
            inventory: true,
        });
        for (index, step) in job
            .get("steps")
            .and_then(Node::as_list)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            units.push(Unit {
                kind: "step".into(),
                address: format!("jobs.{id}.steps[{index}]"),
                node: step.clone(),
                pos: step.pos,
                end_line: step.end_line,
                inventory: false,
            });
        }
    }
    units
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::load_documents;

    #[test]
    fn cronjob_containers_carry_their_pod_spec() {
        let docs = load_documents(
            "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: nightly}\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          hostPID: true\n          containers:\n            - name: run\n              image: busybox\n",
        )
        .unwrap();
        let units = kubernetes_units(&docs[0]);
        let kinds: Vec<&str> = units.iter().map(|unit| unit.kind.as_str()).collect();
        assert_eq!(kinds, ["CronJob", "pod-spec", "container"]);
        let container = &units[2];
        assert_eq!(container.address, "CronJob/nightly container run");
        assert_eq!(container.pos.line, 11);
        let pod = container.node.get("_pod").unwrap();
        assert_eq!(pod.get("hostPID").unwrap().value, Value::Bool(true));
        assert!(pod.get("containers").is_none());
    }

    #[test]
    fn cloudformation_resources_are_units_at_their_logical_id() {
        let docs = load_documents(
            "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Logs:\n    Type: AWS::S3::Bucket\n  Data:\n    Type: AWS::S3::Bucket\n    Properties:\n      AccessControl: PublicRead\n",
        )
        .unwrap();
        assert!(is_cloudformation(&docs[0]));
        let units = cloudformation_units(&docs[0]);
        assert_eq!(units.len(), 2);
        assert_eq!((units[0].address.as_str(), units[0].pos.line), ("Logs", 3));
        assert_eq!(units[1].node.get("AccessControl").unwrap().pos.line, 8);
    }

    #[test]
    fn cloudformation_outputs_are_units_outside_the_inventory() {
        let docs = load_documents(
            "Resources:\n  Key:\n    Type: AWS::IAM::AccessKey\n    Properties:\n      UserName: ci\nOutputs:\n  Id:\n    Value: !Ref Key\n  Secret:\n    Value: !GetAtt [Key, SecretAccessKey]\n  Odd: 3\n",
        )
        .unwrap();
        let units = cloudformation_units(&docs[0]);
        let outputs: Vec<&Unit> = units.iter().filter(|unit| unit.kind == "Output").collect();
        assert_eq!(outputs.len(), 2, "the scalar `Odd` is no output");
        assert_eq!(outputs[1].address, "Outputs.Secret");
        assert!(!outputs[1].inventory);
        assert!(matches!(
            &outputs[1].node.get("Value").unwrap().value,
            Value::Unknown(text) if text == "!GetAtt Key.SecretAccessKey"
        ));
        assert_eq!(outputs[1].node.get("Value").unwrap().pos.line, 10);
        assert!(units.iter().any(|unit| unit.kind == "AWS::IAM::AccessKey"));
    }

    #[test]
    fn cloudformation_intrinsics_are_unknown_values() {
        let docs = load_documents(
            "Resources:\n  Db:\n    Type: AWS::RDS::DBInstance\n    Properties:\n      StorageEncrypted: !Ref Encrypt\n      Tags:\n        - Value: {\"Fn::Sub\": \"${Env}-db\"}\n",
        )
        .unwrap();
        let units = cloudformation_units(&docs[0]);
        let encrypted = units[0].node.get("StorageEncrypted").unwrap();
        assert_eq!(encrypted.value, Value::Unknown("!Ref Encrypt".into()));
        let tag = &units[0].node.get("Tags").unwrap().as_list().unwrap()[0];
        assert_eq!(
            tag.get("Value").unwrap().value,
            Value::Unknown("!Sub ${Env}-db".into())
        );
    }

    #[test]
    fn cloudformation_resources_know_who_refers_to_them() {
        let docs = load_documents(
            "Resources:\n  Vpc:\n    Type: AWS::EC2::VPC\n  Logs:\n    Type: AWS::EC2::FlowLog\n    Properties:\n      ResourceId: !Ref Vpc\n  Role:\n    Type: AWS::IAM::Role\n    Properties:\n      Name: !Sub \"${Vpc}-${AWS::Region}\"\n  Other:\n    Type: AWS::EC2::VPC\n",
        )
        .unwrap();
        let units = cloudformation_units(&docs[0]);
        let kinds = |index: usize| -> Vec<String> {
            units[index]
                .node
                .get("_referenced_by")
                .unwrap()
                .as_list()
                .unwrap()
                .iter()
                .filter_map(|kind| kind.as_str().map(str::to_string))
                .collect()
        };
        assert_eq!(kinds(0), ["AWS::EC2::FlowLog", "AWS::IAM::Role"]);
        assert!(kinds(3).is_empty());
    }

    #[test]
    fn cloudformation_base64_of_a_literal_is_its_text() {
        let docs = load_documents(
            "Resources:\n  Web:\n    Type: AWS::EC2::Instance\n    Properties:\n      UserData:\n        Fn::Base64: |\n          #!/bin/sh\n          echo up\n      Other: !Base64 {\"Fn::Sub\": \"${Env}\"}\n",
        )
        .unwrap();
        let units = cloudformation_units(&docs[0]);
        let user_data = units[0].node.get("UserData").unwrap();
        assert_eq!(user_data.value, Value::Str("#!/bin/sh\necho up\n".into()));
        assert_eq!(user_data.pos.line, 5);
        assert!(matches!(
            &units[0].node.get("Other").unwrap().value,
            Value::Unknown(text) if text == "!Base64 !Sub ${Env}"
        ));
    }

    #[test]
    fn workflow_jobs_and_steps() {
        let docs = load_documents("on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: make\n").unwrap();
        let units = workflow_units(&docs[0]);
        let addresses: Vec<&str> = units.iter().map(|unit| unit.address.as_str()).collect();
        assert_eq!(
            addresses,
            [
                "workflow",
                "jobs.build",
                "jobs.build.steps[0]",
                "jobs.build.steps[1]"
            ]
        );
        assert_eq!(units[3].pos.line, 7);
    }
}
