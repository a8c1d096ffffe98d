//! The published gadgets the peers' test material uses, and the classes
//! real frameworks pickle. Every payload is inert: pickles are assembled as
//! bytes and only ever parsed; the commands they name would create a marker
//! file, and each test fails if that file appears.

mod common;

use common::*;
use cordon_models::{ModelFormat, Severity};

#[test]
fn every_listed_gadget_is_high_or_critical() {
    let marker = marker("gadgets");
    let command = touch(&marker);
    let gadgets = [
        ("uuid", "_get_command_stdout", Severity::Critical),
        ("_osx_support", "_read_output", Severity::Critical),
        ("_osx_support", "_find_build_tool", Severity::Critical),
        ("_aix_support", "_read_cmd_output", Severity::Critical),
        ("_pyrepl.pager", "pipe_pager", Severity::Critical),
        (
            "test.support.script_helper",
            "assert_python_ok",
            Severity::Critical,
        ),
        ("torch.utils.collect_env", "run", Severity::Critical),
        (
            "torch._inductor.codecache",
            "compile_file",
            Severity::Critical,
        ),
        (
            "torch.utils.bottleneck.__main__",
            "run_cprofile",
            Severity::Critical,
        ),
        ("torch._dynamo.eval_frame", "optimize", Severity::Critical),
        (
            "torch.fx.graph_module",
            "reduce_graph_module",
            Severity::Critical,
        ),
        ("torch", "compile", Severity::Critical),
        ("lib2to3.pgen2.driver", "load_grammar", Severity::Critical),
        ("lib2to3.pgen2.pgen", "generate_grammar", Severity::Critical),
        ("nntplib", "NNTP", Severity::High),
        ("_interpreters", "create", Severity::Critical),
        ("fickling.hook", "remove_hook", Severity::Critical),
        ("pydoc", "pipepager", Severity::Critical),
    ];
    for (module, name, want) in gadgets {
        let bytes = Pickle::new()
            .proto(2)
            .call(module, name, &command)
            .stop()
            .bytes();
        let scan = scan("model.pkl", &bytes);
        let dotted = format!("{module}.{name}");
        let finding = scan
            .findings
            .iter()
            .find(|f| f.subject == dotted)
            .unwrap_or_else(|| panic!("{dotted} not reported: {:#?}", scan.findings));
        assert_eq!(finding.severity, want, "{dotted}: {}", finding.message);
        assert!(
            finding.message.contains("policy entry"),
            "the finding names the policy entry: {}",
            finding.message
        );
    }
    assert_no_marker(&marker);
}

#[test]
fn an_unknown_callable_outside_any_framework_is_high() {
    let bytes = malicious_pickle("somepkg.tools", "launch");
    let scan = scan("model.pkl", &bytes);
    assert_eq!(
        scan.max_severity(),
        Some(Severity::High),
        "{:#?}",
        scan.findings
    );
}

#[test]
fn torchscript_archive_is_clean_and_names_its_framework() {
    let archive = zip(
        &[
            Member::stored("vad/data.pkl", &torchscript_data_pickle()),
            Member::stored("vad/constants.pkl", &torch_state_dict_pickle()),
            Member::stored(
                "vad/code/__torch__/vad/model.py",
                b"class VADRNNJITMerge(Module):\n  pass\n",
            ),
            Member::stored("vad/version", b"3\n"),
        ],
        true,
    );
    let scan = scan("silero_vad.jit", &archive);
    assert_eq!(scan.format, ModelFormat::PytorchZip);
    assert_clean(&scan);
    let frameworks = scan
        .inventory
        .as_ref()
        .unwrap()
        .metadata
        .properties
        .get("pickle.frameworks");
    assert_eq!(frameworks.map(String::as_str), Some("pytorch,torchscript"));
}

#[test]
fn scikit_learn_and_boosters_are_clean() {
    for (module, class) in [
        ("sklearn.linear_model._logistic", "LogisticRegression"),
        ("sklearn.ensemble._forest", "RandomForestClassifier"),
        ("sklearn.tree._tree", "Tree"),
        ("xgboost.sklearn", "XGBClassifier"),
        ("lightgbm.sklearn", "LGBMRegressor"),
        ("collections.abc", "Iterable"),
    ] {
        let bytes = Pickle::new()
            .proto(2)
            .global("copyreg", "_reconstructor")
            .mark()
            .global(module, class)
            .global("builtins", "object")
            .none()
            .tuple()
            .reduce()
            .empty_dict()
            .build()
            .stop()
            .bytes();
        let scan = scan("estimator.pkl", &bytes);
        assert_clean(&scan);
    }
}

#[test]
fn a_sklearn_function_is_not_allowed_by_the_class_rule() {
    let bytes = malicious_pickle(
        "sklearn.utils._testing",
        "assert_run_python_script_without_output",
    );
    let found = scan("estimator.pkl", &bytes);
    assert!(
        found.max_severity() >= Some(Severity::High),
        "{:#?}",
        found.findings
    );
    let bytes = malicious_pickle("sklearn.datasets", "fetch_openml");
    let found = scan("estimator.pkl", &bytes);
    assert!(has(
        &found,
        "models/pickle-dangerous-global",
        "sklearn.datasets.fetch_openml"
    ));
}

#[test]
fn user_allowed_globals_silence_a_custom_class() {
    let bytes = malicious_pickle("mylab.models", "Net");
    let mut limits = cordon_models::Limits::default();
    assert!(
        cordon_models::scan("m.pkl", &bytes, &limits)
            .unwrap()
            .max_severity()
            >= Some(Severity::High)
    );
    limits.pickle_policy = std::sync::Arc::new(
        cordon_models::Policy::with_allowed_globals(&["mylab.models.Net".into()]).unwrap(),
    );
    let scan = cordon_models::scan("m.pkl", &bytes, &limits).unwrap();
    assert!(scan.findings.is_empty(), "{:#?}", scan.findings);
}

#[test]
fn pytorch_payloads_name_the_weights_only_bypass_cve_and_bare_pickles_do_not() {
    let marker = marker("cve-torch");
    let payload = Pickle::new()
        .proto(2)
        .call("os", "system", &touch(&marker))
        .stop()
        .bytes();
    let in_torch = scan("model.pt", &torch_zip(&payload, &[]));
    let f = in_torch
        .findings
        .iter()
        .find(|f| f.rule_id == "models/pickle-code-execution")
        .expect("payload");
    assert_eq!(
        f.properties.get("cve").map(String::as_str),
        Some("CVE-2025-32434")
    );
    assert!(f.message.contains("CVE-2025-32434"), "{}", f.message);
    let bare = scan("model.pkl", &payload);
    assert!(
        bare.findings
            .iter()
            .all(|f| !f.properties.contains_key("cve"))
    );
    assert_no_marker(&marker);
}
