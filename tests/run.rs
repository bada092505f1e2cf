//! `anneal plan` and `anneal run` end to end through the binary: every example's plan and
//! summary as snapshots, expectations that pass, identical bytes on a second run and on one
//! thread against two, and errors that point at their span.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn anneal() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_anneal"));
    command.env("NO_COLOR", "1").current_dir(root());
    command
}

/// The examples on the 76-region connectome, fast enough for the test suite. `first_sit` runs
/// the 16,384-vertex cortex (about 45 s in release) and is covered by its plan snapshot only.
fn quick_examples() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root().join("examples"))
        .expect("examples folder")
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            (path.extension()? == "anneal").then(|| path.file_stem()?.to_str().map(String::from))?
        })
        .filter(|name| name != "first_sit")
        .collect();
    names.sort();
    names
}

fn run(script: &str, out: &Path, threads: &str) -> Output {
    anneal()
        .env("RAYON_NUM_THREADS", threads)
        .args(["run", script, "--out"])
        .arg(out)
        .output()
        .expect("the binary runs")
}

/// Every file of a results folder, by relative path.
fn folder_bytes(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current).expect("readable") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path.strip_prefix(dir).unwrap().display().to_string();
                files.insert(relative, std::fs::read(&path).expect("readable"));
            }
        }
    }
    files
}

fn plan_yaml(script: &str) -> String {
    let output = anneal().args(["plan", script]).output().expect("runs");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{script}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8")
}

fn redact_version(yaml: &str) -> String {
    yaml.lines()
        .map(|line| {
            if line.trim_start().starts_with("anneal_version:") {
                let indent = line.len() - line.trim_start().len();
                format!("{}anneal_version: '[version]'", " ".repeat(indent))
            } else {
                line.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn every_example_plans_with_a_stable_snapshot() {
    let mut names = quick_examples();
    names.push("first_sit".into());
    for name in names {
        let yaml = plan_yaml(&format!("examples/{name}.anneal"));
        // The plan hash in the document is the hash of the plan it shows.
        let hash = yaml
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("plan_hash: "))
            .expect("hash first");
        assert_eq!(hash.len(), 64, "{name}");
        insta::assert_snapshot!(format!("plan_{name}"), redact_version(&yaml));
    }
}

#[test]
fn every_quick_example_runs_and_its_expectations_pass() {
    let scratch = tempfile::tempdir().expect("temp dir");
    for name in quick_examples() {
        let out = scratch.path().join(&name);
        let output = run(&format!("examples/{name}.anneal"), &out, "2");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{name}: {stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(stdout.contains("pass expect"), "{name}: {stdout}");
        assert!(!stdout.contains("FAIL"), "{name}: {stdout}");
        for file in [
            "summary.yaml",
            "traces.csv",
            "mode_energy.npy",
            "temperature.npy",
            "time.npy",
            "plots/temperature.svg",
            "plots/temperature.png",
            "plots/mode_energy.png",
        ] {
            assert!(out.join(file).is_file(), "{name}: no {file}");
        }
        let summary = std::fs::read_to_string(out.join("summary.yaml")).expect("summary");
        insta::assert_snapshot!(format!("summary_{name}"), redact_version(&summary));
    }
}

#[test]
fn a_run_gives_the_same_bytes_twice_and_on_one_or_two_threads() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let script = "examples/meditation.anneal";
    let first = scratch.path().join("first");
    let second = scratch.path().join("second");
    let single = scratch.path().join("single");
    assert_eq!(run(script, &first, "2").status.code(), Some(0));
    assert_eq!(run(script, &second, "2").status.code(), Some(0));
    assert_eq!(run(script, &single, "1").status.code(), Some(0));
    let reference = folder_bytes(&first);
    assert!(reference.len() > 10, "{:?}", reference.keys());
    assert!(reference == folder_bytes(&second), "second run differs");
    assert!(
        reference == folder_bytes(&single),
        "one thread differs from two"
    );
}

fn write_script(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("writable");
    path
}

const HEADER: &str = "experiment \"e\" {\n  seed 1\n  dt 50 ms\n  duration 2 min\n}\nconnectome brain = human_regions()\nharmonics of brain {\n  modes 10\n}\n";

#[test]
fn lowering_errors_point_at_their_span() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let cases = [
        (
            "late.anneal",
            "use std.sources.{meditation}\nsource sit = meditation(at: 5 min, for: 5 min)\n",
            "E0041",
            "5 min",
        ),
        (
            "between.anneal",
            "use std.sources.{music}\nsource song = music(at: 10 s + 10 ms, for: 30 s)\n",
            "E0040",
            "10 s + 10 ms",
        ),
        (
            "window.anneal",
            "record every 1 s { temperature }\nexpect mean(temperature, after: 3 min) > 0\n",
            "E0041",
            "mean(temperature, after: 3 min)",
        ),
        (
            "grouped.anneal",
            "record every 1 s { temperature by band }\nexpect mean(temperature by band) > 0\n",
            "E0042",
            "",
        ),
    ];
    for (name, body, code, spanned) in cases {
        let path = write_script(scratch.path(), name, &format!("{HEADER}{body}"));
        for command in ["plan", "run"] {
            let mut invocation = anneal();
            invocation.arg(command).arg(&path);
            if command == "run" {
                invocation.arg("--out").arg(scratch.path().join("never"));
            }
            let output = invocation.output().expect("runs");
            let stderr = String::from_utf8_lossy(&output.stderr);
            if name == "grouped.anneal" && output.status.code() == Some(1) && !stderr.contains(code)
            {
                // The checker may refuse `by band` inside an expectation before lowering does.
                assert!(stderr.contains("Error"), "{name}: {stderr}");
                continue;
            }
            assert_eq!(output.status.code(), Some(1), "{name} {command}: {stderr}");
            assert!(stderr.contains(code), "{name} {command}: {stderr}");
            assert!(stderr.contains(spanned), "{name} {command}: {stderr}");
        }
        assert!(
            !scratch.path().join("never").exists(),
            "{name} wrote results"
        );
    }
}

#[test]
fn a_run_over_the_memory_limit_is_refused_before_it_starts() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let out = scratch.path().join("out");
    let output = anneal()
        .args([
            "run",
            "examples/meditation.anneal",
            "--max-memory",
            "100KB",
            "--out",
        ])
        .arg(&out)
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("E0045") && stderr.contains("over the limit"),
        "{stderr}"
    );
    assert!(!out.exists());
    let plan = anneal()
        .args([
            "plan",
            "examples/meditation.anneal",
            "--max-memory",
            "100KB",
        ])
        .output()
        .expect("runs");
    assert_eq!(plan.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&plan.stderr).contains("E0045"));
}

#[test]
fn a_failing_expectation_exits_1_with_its_measured_values() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let path = write_script(
        scratch.path(),
        "fails.anneal",
        &format!("{HEADER}record every 1 s {{ temperature }}\nexpect max(temperature) < 0\n"),
    );
    let out = scratch.path().join("out");
    let output = anneal()
        .arg("run")
        .arg(&path)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("FAIL expect max(temperature) < 0"),
        "{stdout}"
    );
    // The results are still written, with the expectation marked failed.
    let summary = std::fs::read_to_string(out.join("summary.yaml")).expect("summary");
    assert!(summary.contains("passed: false"), "{summary}");
}

#[test]
fn the_seed_option_replaces_the_scripts_seed_in_the_plan_and_its_provenance() {
    let written = plan_yaml("examples/meditation.anneal");
    let output = anneal()
        .args(["plan", "examples/meditation.anneal", "--seed", "99"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0));
    let reseeded = String::from_utf8(output.stdout).expect("UTF-8");
    assert!(reseeded.contains("  seed: 99\n"), "{reseeded}");
    assert!(written.contains("  seed: 11\n"), "{written}");
    assert_ne!(
        written.lines().next(),
        reseeded.lines().next(),
        "plan hash unchanged"
    );
}

#[test]
fn a_nested_modular_connectome_names_its_modules_by_their_path() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let script = write_script(
        dir.path(),
        "nested.anneal",
        "experiment \"e\" {\n  seed 1\n  dt 50 ms\n  duration 10 s\n}\n\
         connectome brain = modular(modules: 2, size: 6, levels: 2, inside: 0.9, between: 0.2, seed: 1)\n\
         harmonics of brain {\n  modes 6\n}\n\
         landscape on regions {\n  pattern left = regions(\"m0_0\", \"m0_1\", strength: 1.0)\n}\n",
    );
    let output = anneal().arg("plan").arg(&script).output().expect("runs");
    let plan = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{plan}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // The bottom modules are the landscape's regions in path order: m0_0, m0_1, m1_0, m1_1.
    assert!(
        plan.contains("spins:\n        - 1\n        - 1\n        - -1\n        - -1\n"),
        "{plan}"
    );
    let flat_name = std::fs::read_to_string(&script)
        .expect("script")
        .replace("\"m0_1\"", "\"m1\"");
    std::fs::write(&script, flat_name).expect("script rewritten");
    let refused = anneal().arg("plan").arg(&script).output().expect("runs");
    assert_eq!(refused.status.code(), Some(1));
    let diagnostics = String::from_utf8_lossy(&refused.stderr);
    assert!(diagnostics.contains("`m1`"), "{diagnostics}");
}
