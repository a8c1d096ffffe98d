//! gradle.lockfile, gradle/verification-metadata.xml and pom.xml.

mod common;

use common::{find, names, parse_fixture};
use cordon_lockfiles::{Ecosystem, HashAlg, LockfileKind, Source, detect, parse};

#[test]
fn gradle_lockfile_lists_modules_and_marks_test_only_ones_dev() {
    let lock = parse_fixture("gradle.lockfile.fixture", "app/gradle.lockfile");
    assert_eq!(lock.kind, LockfileKind::GradleLockfile);
    assert!(lock.warnings.is_empty(), "{:?}", lock.warnings);
    assert_eq!(
        names(&lock),
        [
            "com.fasterxml.jackson.core:jackson-annotations 2.13.4",
            "com.fasterxml.jackson.core:jackson-databind 2.13.4.1",
            "junit:junit 4.13.2",
            "org.apache.logging.log4j:log4j-core 2.14.1",
            "org.hamcrest:hamcrest-core 1.3",
        ]
    );
    assert!(
        lock.packages
            .iter()
            .all(|p| p.ecosystem == Ecosystem::Maven)
    );
    assert!(find(&lock, "junit:junit", "4.13.2").dev);
    assert!(!find(&lock, "org.apache.logging.log4j:log4j-core", "2.14.1").dev);
    assert_eq!(
        find(&lock, "org.apache.logging.log4j:log4j-core", "2.14.1").line,
        Some(7)
    );
}

#[test]
fn gradle_lockfile_line_without_coordinates_is_an_error_with_its_line() {
    let err = parse("gradle.lockfile", b"# header\ncom.example:lib:1.0\n").unwrap_err();
    assert_eq!(err.line, Some(2));
    let lock = parse("gradle.lockfile", b"com.example:lib=runtimeClasspath\n").unwrap();
    assert!(lock.packages.is_empty());
    assert_eq!(lock.warnings.len(), 1, "an incomplete module is a warning");
}

#[test]
fn verification_metadata_lists_components_with_their_jar_checksum() {
    assert_eq!(
        detect("gradle/verification-metadata.xml"),
        Some(LockfileKind::GradleVerification)
    );
    assert_eq!(detect("docs/verification-metadata.xml"), None);
    let lock = parse_fixture(
        "verification-metadata.xml",
        "gradle/verification-metadata.xml",
    );
    assert!(lock.warnings.is_empty(), "{:?}", lock.warnings);
    assert_eq!(
        names(&lock),
        [
            "com.google.guava:guava 31.1-jre",
            "org.apache.commons:commons-parent 52",
            "org.yaml:snakeyaml 1.30",
        ]
    );
    let guava = find(&lock, "com.google.guava:guava", "31.1-jre");
    assert_eq!(guava.line, Some(8));
    assert_eq!(
        guava.checksums.len(),
        1,
        "only the jar's, not the .module's"
    );
    assert_eq!(guava.checksums[0].alg, HashAlg::Sha256);
    assert!(guava.checksums[0].hex.starts_with("a42edc9c"));
    // A parent pom has no jar; it is still a component.
    assert!(
        find(&lock, "org.apache.commons:commons-parent", "52")
            .checksums
            .is_empty()
    );
}

#[test]
fn pom_resolves_properties_and_dependency_management_and_reports_the_rest() {
    let lock = parse_fixture("pom.xml.fixture", "services/orders/pom.xml");
    assert_eq!(lock.kind, LockfileKind::PomXml);
    assert_eq!(
        names(&lock),
        [
            // From the parent pom (spring-boot-starter-parent): unresolvable here.
            "com.example:legacy-client ",
            "com.example:orders-api 1.4.0-SNAPSHOT",
            "com.example:orders-service 1.4.0-SNAPSHOT",
            "com.fasterxml.jackson.core:jackson-databind 2.13.2",
            "com.oracle:ojdbc 8",
            "io.micrometer:micrometer-core 1.8.4",
            "junit:junit 4.13.2",
            "org.apache.logging.log4j:log4j-core 2.14.1",
            "org.springframework.boot:spring-boot-starter-web ",
            "org.yaml:snakeyaml 1.30",
        ]
    );
    let messages: Vec<&str> = lock.warnings.iter().map(|w| w.message.as_str()).collect();
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(messages[0].contains("org.springframework.boot:spring-boot-starter-web"));
    assert!(messages[0].contains("parent pom or an imported BOM"));
    assert!(messages[1].contains("${legacy.client.version}"));
    assert_eq!(lock.warnings[0].line, Some(56));
    assert!(find(&lock, "junit:junit", "4.13.2").dev);
    assert!(!find(&lock, "org.yaml:snakeyaml", "1.30").dev);
    assert!(matches!(
        find(&lock, "com.oracle:ojdbc", "8").source,
        Source::Path { .. }
    ));
    // The project is the root, and every declared dependency is direct.
    let root = &lock.packages[lock.roots[0]];
    assert_eq!(root.name, "com.example:orders-service");
    assert_eq!(root.source, Source::Workspace);
    assert_eq!(root.dependencies.len(), 9);
    assert_eq!(
        find(&lock, "org.apache.logging.log4j:log4j-core", "2.14.1").line,
        Some(42)
    );
}

#[test]
fn pom_errors_point_at_the_line() {
    let err = parse(
        "pom.xml",
        b"<project>\n  <dependencies>\n  </dependency>\n</project>",
    )
    .unwrap_err();
    assert_eq!(err.line, Some(3), "{err}");
    let err = parse("pom.xml", b"<settings/>").unwrap_err();
    assert!(err.message.contains("<project>"), "{err}");
    let err = parse("pom.xml", b"<project>\n<dependencies>").unwrap_err();
    assert!(err.message.contains("end of file"), "{err}");
}

#[test]
fn parent_poms_in_the_workspace_supply_properties_and_managed_versions() {
    let parent = r#"<project>
  <groupId>com.example</groupId>
  <artifactId>platform</artifactId>
  <version>3.0.0</version>
  <packaging>pom</packaging>
  <properties>
    <jackson.version>2.13.2</jackson.version>
    <log4j.version>2.14.1</log4j.version>
  </properties>
  <dependencyManagement>
    <dependencies>
      <dependency>
        <groupId>com.fasterxml.jackson.core</groupId>
        <artifactId>jackson-databind</artifactId>
        <version>${jackson.version}</version>
      </dependency>
      <dependency>
        <groupId>org.apache.logging.log4j</groupId>
        <artifactId>log4j-core</artifactId>
        <version>${log4j.version}</version>
      </dependency>
    </dependencies>
  </dependencyManagement>
</project>"#;
    let module = r#"<project>
  <parent>
    <groupId>com.example</groupId>
    <artifactId>platform</artifactId>
    <version>3.0.0</version>
  </parent>
  <artifactId>orders</artifactId>
  <properties>
    <log4j.version>2.17.1</log4j.version>
  </properties>
  <dependencies>
    <dependency>
      <groupId>com.fasterxml.jackson.core</groupId>
      <artifactId>jackson-databind</artifactId>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-core</artifactId>
    </dependency>
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-api</artifactId>
    </dependency>
  </dependencies>
</project>"#;
    let mut reads = Vec::new();
    let mut read = |path: &str| {
        reads.push(path.to_string());
        (path == "services/pom.xml").then(|| parent.as_bytes().to_vec())
    };
    let lock = cordon_lockfiles::parse_with_reader(
        "services/orders/pom.xml",
        module.as_bytes(),
        &mut read,
    )
    .unwrap();
    assert_eq!(reads, ["services/pom.xml"]);
    assert_eq!(
        names(&lock),
        [
            "com.example:orders 3.0.0",
            "com.fasterxml.jackson.core:jackson-databind 2.13.2",
            // The module's own property overrides the parent's.
            "org.apache.logging.log4j:log4j-core 2.17.1",
            "org.slf4j:slf4j-api ",
        ]
    );
    assert_eq!(lock.warnings.len(), 1, "{:?}", lock.warnings);
    assert!(lock.warnings[0].message.contains("org.slf4j:slf4j-api"));

    // A pom at relativePath that is not the declared parent is not used.
    let mut other = |path: &str| {
        (path == "services/pom.xml").then(|| parent.replace("platform", "other").into_bytes())
    };
    let lock = cordon_lockfiles::parse_with_reader(
        "services/orders/pom.xml",
        module.as_bytes(),
        &mut other,
    )
    .unwrap();
    assert_eq!(lock.warnings.len(), 3, "{:?}", lock.warnings);
    // Without a reader the module stands alone.
    assert_eq!(
        parse("pom.xml", module.as_bytes()).unwrap().warnings.len(),
        3
    );
}
