//! The AWS security-group ingress policies split an open rule's port range
//! between them: SSH, RDP and database ports each have a policy, and
//! `*-sg-other-port-open-to-world` takes every other range except a single
//! web port (80 or 443). This checks the split against the arithmetic for
//! many ranges, each end placed just below, at and just above each port of
//! interest, in Terraform and CloudFormation alike: every open range is
//! reported by exactly the policies whose ports it holds, and by the
//! generic one only when it holds none of them. Network ACL rules get the
//! same check against their SSH/RDP/FTP policy.

use cordon_iac_engine::Engine;

const SSH: u32 = 22;
const RDP: u32 = 3389;
const DATABASE_PORTS: &[u32] = &[1433, 3306, 5432, 6379, 9200, 27017];
const WEB_PORTS: &[u32] = &[80, 443];

struct Framework {
    path: &'static str,
    render: fn(u32, u32) -> String,
    ssh: &'static str,
    rdp: &'static str,
    database: &'static str,
    other: &'static str,
}

fn terraform_rule(low: u32, high: u32) -> String {
    format!(
        "resource \"aws_security_group_rule\" \"rule\" {{\n  type              = \"ingress\"\n  from_port         = {low}\n  to_port           = {high}\n  protocol          = \"tcp\"\n  cidr_blocks       = [\"0.0.0.0/0\"]\n  security_group_id = \"sg-123\"\n}}\n"
    )
}

fn cloudformation_rule(low: u32, high: u32) -> String {
    format!(
        "Resources:\n  Group:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: group\n      SecurityGroupIngress:\n        - IpProtocol: tcp\n          FromPort: {low}\n          ToPort: {high}\n          CidrIp: 0.0.0.0/0\n"
    )
}

const TERRAFORM: Framework = Framework {
    path: "net/main.tf",
    render: terraform_rule,
    ssh: "iac/aws-sg-ssh-open-to-world",
    rdp: "iac/aws-sg-rdp-open-to-world",
    database: "iac/aws-sg-database-port-open-to-world",
    other: "iac/aws-sg-other-port-open-to-world",
};

const CLOUDFORMATION: Framework = Framework {
    path: "net/template.yaml",
    render: cloudformation_rule,
    ssh: "iac/cfn-sg-ssh-open-to-world",
    rdp: "iac/cfn-sg-rdp-open-to-world",
    database: "iac/cfn-sg-database-port-open-to-world",
    other: "iac/cfn-sg-other-port-open-to-world",
};

/// Range ends around every port of interest, plus the extremes.
fn range_ends() -> Vec<u32> {
    let mut ends: Vec<u32> = [SSH, RDP]
        .iter()
        .chain(DATABASE_PORTS)
        .chain(WEB_PORTS)
        .flat_map(|&port| [port - 1, port, port + 1])
        .chain([0, 1, 1024, 8080, 65535])
        .collect();
    ends.sort_unstable();
    ends.dedup();
    ends
}

fn disagreements(engine: &Engine, framework: &Framework) -> Vec<String> {
    let ends = range_ends();
    let mut wrong = Vec::new();
    for (index, &low) in ends.iter().enumerate() {
        for &high in &ends[index..] {
            let text = (framework.render)(low, high);
            let report = engine.scan(&[(framework.path, text.as_str())]);
            let reported = |rule: &str| report.findings().any(|finding| finding.rule_id == rule);
            let holds = |port: &u32| (low..=high).contains(port);
            let ssh = holds(&SSH);
            let rdp = holds(&RDP);
            let database = DATABASE_PORTS.iter().any(holds);
            let single_web_port = low == high && WEB_PORTS.contains(&low);
            let expected = [
                (framework.ssh, ssh),
                (framework.rdp, rdp),
                (framework.database, database),
                (
                    framework.other,
                    !(ssh || rdp || database || single_web_port),
                ),
            ];
            for (rule, expected) in expected {
                if reported(rule) != expected {
                    wrong.push(format!(
                        "{low}-{high}: {rule} reported {}, expected {expected}",
                        reported(rule)
                    ));
                }
            }
        }
    }
    wrong
}

#[test]
fn terraform_ranges_are_split_between_the_named_and_the_generic_policies() {
    let engine = Engine::new().unwrap();
    let wrong = disagreements(&engine, &TERRAFORM);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn cloudformation_ranges_are_split_between_the_named_and_the_generic_policies() {
    let engine = Engine::new().unwrap();
    let wrong = disagreements(&engine, &CLOUDFORMATION);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

fn network_acl_rule(low: u32, high: u32) -> String {
    format!(
        "resource \"aws_network_acl_rule\" \"rule\" {{\n  network_acl_id = \"acl-123\"\n  rule_number    = 100\n  egress         = false\n  protocol       = \"tcp\"\n  rule_action    = \"allow\"\n  cidr_block     = \"0.0.0.0/0\"\n  from_port      = {low}\n  to_port        = {high}\n}}\n"
    )
}

/// Network ACLs: the SSH/RDP/FTP policy and the generic one never report
/// the same rule, and together report every open TCP range except single
/// web ports and the ephemeral range a stateless ACL needs for replies.
#[test]
fn network_acl_ranges_are_split_between_the_admin_and_the_generic_policies() {
    const ADMIN: &str = "iac/aws-network-acl-admin-port-open-to-world";
    const OTHER: &str = "iac/aws-network-acl-other-port-open-to-world";
    let engine = Engine::new().unwrap();
    let mut ends = range_ends();
    ends.extend([19, 20, 21, 1023, 1025, 32768, 49152]);
    ends.sort_unstable();
    ends.dedup();
    let mut wrong = Vec::new();
    for (index, &low) in ends.iter().enumerate() {
        for &high in &ends[index..] {
            let text = network_acl_rule(low, high);
            let report = engine.scan(&[("net/main.tf", text.as_str())]);
            let reported = |rule: &str| report.findings().any(|finding| finding.rule_id == rule);
            let holds = |port: u32| (low..=high).contains(&port);
            let ephemeral = low >= 1024 && high >= 65535;
            // The admin policy's own exception: 1024/1025-65535 holds 3389 but
            // is the usual reply range.
            let reply_range = (1024..=1025).contains(&low) && high >= 65535;
            let admin = holds(SSH) || holds(20) || holds(21) || (holds(RDP) && !reply_range);
            let single_web_port = low == high && WEB_PORTS.contains(&low);
            let other = !(holds(SSH)
                || holds(RDP)
                || holds(20)
                || holds(21)
                || single_web_port
                || ephemeral);
            if reported(ADMIN) != admin {
                wrong.push(format!(
                    "{low}-{high}: {ADMIN} reported {}",
                    reported(ADMIN)
                ));
            }
            if reported(ADMIN) && reported(OTHER) {
                wrong.push(format!("{low}-{high}: reported by both"));
            }
            if reported(OTHER) != other {
                wrong.push(format!(
                    "{low}-{high}: {OTHER} reported {}",
                    reported(OTHER)
                ));
            }
            if !reported(ADMIN) && !reported(OTHER) && !single_web_port && !ephemeral {
                wrong.push(format!("{low}-{high}: reported by neither"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
