//! A unit is what policies are evaluated against: one Terraform resource,
//! one CloudFormation resource, one Kubernetes pod spec or container, one
//! Dockerfile stage, one workflow, job or step.

use crate::node::{Node, Pos};

#[derive(Clone, Debug)]
pub struct Unit {
    /// Matched against a policy's `kinds`: `aws_s3_bucket`,
    /// `AWS::S3::Bucket`, `container`, `final-stage`, `step`.
    pub kind: String,
    /// Human address: `aws_s3_bucket.logs`, `Deployment/web`.
    pub address: String,
    /// Policies' paths are relative to this node.
    pub node: Node,
    /// Where the unit starts (used when the offending attribute is missing).
    pub pos: Pos,
    pub end_line: u32,
    /// Reported in the inventory; context units (a pod's containers are
    /// units too) are not listed twice.
    pub inventory: bool,
}

/// A file that is infrastructure code but could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub message: String,
    pub pos: Pos,
}
