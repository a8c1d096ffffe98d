//! The GCP firewall policies match port ranges ("a-b") with generated
//! regular expressions, since the condition language has no numeric range
//! test. The policy examples show a few ranges; this checks the patterns
//! against the arithmetic for many more, each end of every range placed
//! just below, at and just above each listed port.

use cordon_iac_engine::Engine;

/// The ports `iac/gcp-firewall-service-port-open-to-world` names.
const SERVICE_PORTS: &[u32] = &[
    20, 21, 23, 445, 1433, 1521, 2375, 2379, 3306, 5432, 6379, 9200, 11211, 27017,
];
const SERVICE_POLICY: &str = "iac/gcp-firewall-service-port-open-to-world";
const ADMIN_POLICY: &str = "iac/gcp-firewall-admin-port-open-to-world";

fn firewall_open_to_world(ports: &str) -> String {
    format!(
        "resource \"google_compute_firewall\" \"rule\" {{\n  name          = \"rule\"\n  network       = \"default\"\n  source_ranges = [\"0.0.0.0/0\"]\n  allow {{\n    protocol = \"tcp\"\n    ports    = [\"{ports}\"]\n  }}\n}}\n"
    )
}

/// Range ends around every port of interest, plus the extremes.
fn range_ends(ports: &[u32]) -> Vec<u32> {
    let mut ends: Vec<u32> = ports
        .iter()
        .flat_map(|&port| [port.saturating_sub(1), port, port + 1])
        .chain([0, 1, 9, 10, 99, 100, 999, 1000, 9999, 10000, 65535])
        .collect();
    ends.sort_unstable();
    ends.dedup();
    ends
}

/// Whether the range `low..=high` holds one of `ports`.
fn holds(ports: &[u32], low: u32, high: u32) -> bool {
    ports.iter().any(|port| (low..=high).contains(port))
}

/// Scans one rule per range between the ends around `ports` and returns the
/// ranges where `policy`'s answer differs from `expected(low, high)`.
fn disagreements(
    engine: &Engine,
    policy: &str,
    ports: &[u32],
    expected: impl Fn(u32, u32) -> bool,
) -> Vec<String> {
    let ends = range_ends(ports);
    let mut wrong = Vec::new();
    for (index, &low) in ends.iter().enumerate() {
        for &high in &ends[index..] {
            let range = format!("{low}-{high}");
            let text = firewall_open_to_world(&range);
            let report = engine.scan(&[("gcp/main.tf", text.as_str())]);
            let reported = report.findings().any(|finding| finding.rule_id == policy);
            let expected = expected(low, high);
            if reported != expected {
                wrong.push(format!("{range}: reported {reported}, expected {expected}"));
            }
        }
    }
    wrong
}

#[test]
fn service_port_ranges_are_reported_exactly_when_they_hold_a_listed_port() {
    let engine = Engine::new().unwrap();
    let wrong = disagreements(&engine, SERVICE_POLICY, SERVICE_PORTS, |low, high| {
        holds(SERVICE_PORTS, low, high)
    });
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn admin_port_ranges_are_reported_exactly_when_they_hold_ssh_or_rdp() {
    let engine = Engine::new().unwrap();
    let wrong = disagreements(&engine, ADMIN_POLICY, &[22, 3389], |low, high| {
        holds(&[22, 3389], low, high)
    });
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn single_ports_are_reported_only_when_listed() {
    let engine = Engine::new().unwrap();
    for port in [20, 80, 443, 3306, 3307, 8080, 27017, 27018] {
        let text = firewall_open_to_world(&port.to_string());
        let report = engine.scan(&[("gcp/main.tf", text.as_str())]);
        let reported = report
            .findings()
            .any(|finding| finding.rule_id == SERVICE_POLICY);
        assert_eq!(reported, SERVICE_PORTS.contains(&port), "port {port}");
    }
}

const OTHER_PORT_POLICY: &str = "iac/gcp-firewall-port-open-to-world";

/// The catch-all for other ports leaves every range holding SSH or RDP to
/// the admin-port policy and reports every other range.
#[test]
fn other_port_policy_reports_exactly_the_ranges_the_admin_policy_does_not() {
    let engine = Engine::new().unwrap();
    let wrong = disagreements(&engine, OTHER_PORT_POLICY, &[22, 3389], |low, high| {
        !holds(&[22, 3389], low, high)
    });
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn other_port_policy_skips_web_admin_and_service_single_ports() {
    let engine = Engine::new().unwrap();
    for port in [80, 443, 22, 3389, 3306, 27017, 8080, 8443, 25, 9090, 5601] {
        let text = firewall_open_to_world(&port.to_string());
        let report = engine.scan(&[("gcp/main.tf", text.as_str())]);
        let reported = report
            .findings()
            .any(|finding| finding.rule_id == OTHER_PORT_POLICY);
        let expected = ![80, 443, 22, 3389].contains(&port) && !SERVICE_PORTS.contains(&port);
        assert_eq!(reported, expected, "port {port}");
    }
}
