//! Trust: hostile input gets exit 2 and a message naming the key (never a panic or an abort),
//! and nothing outside a run directory is overwritten.

mod common;

use common::*;
use std::path::Path;

/// `examples/NAME` with `from` replaced by `to` (which must occur), written into `dir`.
fn edited(dir: &Path, example: &str, from: &str, to: &str) -> String {
    let text = std::fs::read_to_string(root().join("examples").join(example)).unwrap();
    assert!(text.contains(from), "{example} lacks {from:?}");
    write(dir, example, &text.replacen(from, to, 1))
}

#[test]
fn sizes_counts_and_times_beyond_sane_bounds_are_refused_naming_the_key() {
    #[rustfmt::skip]
    let cases: [(&str, &str, &[&str]); 10] = [
        ("examples/rate_sine.toml", "network.units=1000000000000", &["network.units", "at most 10000000"]),
        ("examples/balanced_sine.toml", "training.feedforward_units=1000000000000", &["training.feedforward_units", "at most"]),
        ("examples/lif_sine.toml", "training.loops=1000000000", &["training.loops", "at most 100000"]),
        ("examples/lif_sine.toml", "training.loops=100000000", &["training.loops", "at most 100000"]),
        ("examples/lif_sine.toml", "test.trials=1000000000000", &["test.trials", "at most 100000"]),
        ("examples/lif_sine.toml", "duration_ms=1e12", &["duration_ms", "at most 1000000 ms", "got 1000000000000"]),
        ("examples/lif_sine.toml", "duration_ms=1e7", &["duration_ms", "at most 1000000 ms"]),
        ("examples/rate_sine.toml", "duration_ms=2.5e7", &["duration_ms", "at most"]),
        ("examples/lif_sine.toml", "dt_ms=1e-9", &["dt_ms", "at least 0.0001"]),
        ("examples/lif_sine.toml", "training.rls.block=1000000000", &["training.rls.block", "at most 4096"]),
    ];
    for (file, set, needles) in cases {
        assert_fails(&["check", file, "--set", set], 2, needles);
        assert_fails(
            &[
                "run",
                file,
                "--set",
                set,
                "--quiet",
                "--no-report",
                "--out",
                "/nonexistent/never",
            ],
            2,
            needles,
        );
    }
}

#[test]
fn population_sizes_beyond_the_bound_are_refused() {
    let dir = scratch("trust_sizes");
    let file = edited(
        &dir,
        "balanced_sine.toml",
        "size = 2500",
        "size = 1000000000000",
    );
    assert_fails(
        &["check", &file],
        2,
        &[
            "network.populations[0].size",
            "at most 10000000",
            "1000000000000",
        ],
    );
    let file = edited(&dir, "balanced_sine.toml", "size = 2500", "size = 9999999");
    assert_fails(
        &["check", &file],
        2,
        &[
            "network.populations[1].size",
            "at most 10000000",
            "network's neurons",
        ],
    );
}

#[test]
fn a_record_list_naming_a_neuron_twice_is_refused() {
    let dir = scratch("trust_record_list");
    // 100,000 entries for a network of 100 neurons (it asked for 6.5 GB).
    let list = vec!["0"; 100_000].join(",");
    let file = edited(
        &dir,
        "lif_sine.toml",
        "[test]",
        &format!("[record]\nneurons = [{list}]\n\n[test]"),
    );
    assert_fails(
        &["check", &file],
        2,
        &["record.neurons[1]", "neuron 0 is listed twice"],
    );
}

#[test]
fn a_huge_number_is_shown_short() {
    let o = spikeform(&[
        "check",
        "examples/lif_sine.toml",
        "--set",
        "duration_ms=1e308",
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("1e308"), "{err}");
    assert!(err.len() < 300, "{err}");
}

#[test]
fn thread_counts_beyond_the_bound_are_refused() {
    assert_fails(
        &[
            "run",
            "examples/lif_sine.toml",
            "--threads",
            "100000",
            "--quiet",
        ],
        2,
        &["--threads", "at most"],
    );
}

#[test]
fn a_run_name_is_a_file_name_never_a_path() {
    let dir = scratch("trust_dotdot");
    for name in ["..", "."] {
        let file = edited(
            &dir,
            "lif_sine.toml",
            "name = \"lif_sine\"",
            &format!("name = \"{name}\""),
        );
        assert_fails(&["check", &file], 2, &["name", "file name"]);
    }
}

#[test]
fn population_names_differing_only_in_case_or_empty_are_refused() {
    let dir = scratch("trust_names");
    let file = edited(&dir, "balanced_sine.toml", "name = \"I\"", "name = \"e\"");
    assert_fails(
        &["check", &file],
        2,
        &["network.populations[1].name", "\"e\"", "\"E\"", "case"],
    );
    let file = edited(&dir, "balanced_sine.toml", "name = \"I\"", "name = \"\"");
    assert_fails(
        &["check", &file],
        2,
        &["network.populations[1].name", "empty"],
    );
}

#[test]
fn a_projection_given_twice_is_refused() {
    let dir = scratch("trust_projections");
    let file = edited(
        &dir,
        "balanced_sine.toml",
        "  { pre = \"I\", post = \"I\", weight = -0.894427191 },   # -ji",
        "  { pre = \"I\", post = \"I\", weight = -0.894427191 },\n  { pre = \"E\", post = \"I\", weight = 0.5 },",
    );
    assert_fails(
        &["check", &file],
        2,
        &[
            "network.connectivity.projections[4]",
            "\"E\" -> \"I\"",
            "twice",
            "projections[1]",
        ],
    );
}

#[test]
fn sampled_plastic_weights_and_populations_keep_dales_law() {
    let f = "examples/balanced_sine.toml";
    assert_fails(
        &["check", f, "--set", "training.plastic_exc_weight=-0.5"],
        2,
        &["training.plastic_exc_weight", ">= 0", "-0.5"],
    );
    assert_fails(
        &["check", f, "--set", "training.plastic_inh_weight=0.3"],
        2,
        &["training.plastic_inh_weight", "<= 0", "0.3"],
    );
    assert_fails(
        &["check", f, "--set", "training.plastic_inh_population=E"],
        2,
        &["training.plastic_inh_population", "inhibitory", "\"E\""],
    );
}

#[test]
fn the_rate_learning_start_is_stated_at_the_files_time_step() {
    let sets = [
        "dt_ms=1.0",
        "duration_ms=610",
        "stimulus.start_ms=10",
        "stimulus.end_ms=100",
        "training.start_ms=110",
        "record.every_ms=1",
    ];
    let mut args = vec!["check", "examples/rate_sine.toml"];
    for s in &sets {
        args.extend(["--set", s]);
    }
    assert_fails(
        &args,
        2,
        &[
            "training.start_ms",
            "at least 119 ms",
            "dt_ms = 1",
            "got 110",
        ],
    );
}

#[test]
fn recorded_targets_that_never_change_are_refused() {
    let dir = scratch("trust_flat_targets");
    let zeros = dir.join("zeros.npy");
    spikeform_io::npy::write_npy_f64(&zeros, &[3, 25], &[0.0; 75]).unwrap();
    let file = write(
        &dir,
        "flat.toml",
        &format!(
            "version = 1\nname = \"flat\"\nseed = 1\ndt_ms = 0.1\nduration_ms = 1500.0\n\
             [network]\nkind = \"spiking\"\ntau_exc_ms = 3.0\ntau_inh_ms = 3.0\ntau_plastic_ms = 150.0\n[[network.populations]]\nname = \"E\"\nsize = 50\n\
             excitatory = true\ntau_membrane_ms = 10.0\nbias = 1.2\n\
             [target]\nkind = \"recorded\"\nfiles = [\"{}\"]\nbin_ms = 40.0\nsigma = 0.3\n\
             [training]\nloops = 1\nlearn_every_ms = 40.0\nstart_ms = 500.0\n\
             penalty_lambda = 0.04\ntrained = \"match\"\ntrained_population = \"E\"\n",
            zeros.display()
        ),
    );
    assert_fails(
        &["check", &file],
        2,
        &["zeros.npy", "constant", "undefined"],
    );
}

#[test]
fn check_prints_the_resources_a_run_needs() {
    let o = spikeform(&["check", "examples/balanced_sine.toml"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8_lossy(&o.stdout);
    for needle in [
        "# resources (estimate): memory ",
        "#   static synapses: 60.0 MB",
        "#   RLS matrices: 92.5 MB",
        "neuron-steps",
        "synaptic events at the expected rates",
        "RLS updates of 46.2 MB each",
    ] {
        assert!(out.contains(needle), "{needle:?} not in {out}");
    }
    // The estimate lines are comments: the output is still the normalized file.
    assert!(out.parse::<toml::Table>().is_ok());
}

#[test]
fn a_run_that_would_not_fit_in_memory_is_refused_before_it_allocates() {
    let dir = scratch("trust_memory");
    // 100,000 neurons all-to-all: P alone would take 8e15 bytes.
    let file = edited(&dir, "lif_sine.toml", "size = 100", "size = 100000");
    assert_fails(
        &[
            "run",
            &file,
            "--quiet",
            "--out",
            dir.join("run").to_str().unwrap(),
        ],
        2,
        &["needs about", "GB of memory", "is available"],
    );
    assert!(!dir.join("run").exists());
    assert_fails(
        &[
            "run",
            "examples/rate_sine.toml",
            "--set",
            "network.units=9000000",
            "--quiet",
        ],
        2,
        &["needs about", "is available"],
    );
}

#[test]
fn out_naming_a_regular_file_is_refused() {
    let dir = scratch("trust_out_file");
    let file = write(&dir, "taken", "mine");
    assert_fails(
        &["run", "examples/lif_sine.toml", "--out", &file, "--quiet"],
        2,
        &["taken", "is not a directory"],
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine");
}

#[test]
fn a_directory_in_use_by_another_run_is_refused() {
    let dir = scratch("trust_busy");
    let out = dir.join("run");
    std::fs::create_dir_all(&out).unwrap();
    let held = std::fs::File::open(&out).unwrap();
    held.try_lock().unwrap();
    assert_fails(
        &[
            "run",
            "examples/lif_sine.toml",
            "--out",
            out.to_str().unwrap(),
            "--quiet",
        ],
        2,
        &["another spikeform run", "run"],
    );
    drop(held);
}

/// lif_sine, one loop and one test trial (about a second).
const QUICK: [&str; 4] = ["--set", "training.loops=1", "--set", "test.trials=1"];

#[test]
fn an_unfinished_directory_starts_clean_and_one_with_a_checkpoint_is_kept_for_resume() {
    let dir = scratch("trust_stale");
    let out = dir.join("run");
    std::fs::create_dir_all(out.join("figures")).unwrap();
    write(&out, "test_traces.npz", "left by an interrupted rate run");
    write(&out, "spikes.npz.tmp", "half written");
    write(&out, "data.csv", "the user's own");
    write(&out, "report.html", "stale");
    write(&out, "figures/old.svg", "stale");
    write(&out, "notes.txt", "the user's own");
    let mut args = vec![
        "run",
        "examples/lif_sine.toml",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend(["--quiet", "--no-report"]);
    args.extend(QUICK);
    let o = spikeform(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!out.join("test_traces.npz").exists());
    assert!(!out.join("spikes.npz.tmp").exists());
    assert_eq!(
        std::fs::read_to_string(out.join("data.csv")).unwrap(),
        "the user's own"
    );
    assert!(!out.join("report.html").exists());
    assert!(!out.join("figures").exists());
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).unwrap(),
        "the user's own"
    );

    // An unfinished run with a checkpoint is refused: only --resume may continue it.
    let second = dir.join("second");
    std::fs::create_dir_all(&second).unwrap();
    std::fs::copy(out.join("checkpoint.npz"), second.join("checkpoint.npz")).unwrap();
    args[3] = second.to_str().unwrap();
    assert_fails(&args, 2, &["unfinished run with a checkpoint", "--resume"]);
    assert!(second.join("checkpoint.npz").exists());
}

#[test]
fn the_manifest_lists_every_file_in_the_order_written_with_size_and_checksum() {
    let dir = scratch("trust_manifest");
    let out = dir.join("run");
    let mut args = vec![
        "run",
        "examples/lif_sine.toml",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend(["--quiet", "--no-report"]);
    args.extend(QUICK);
    let o = spikeform(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    let names: Vec<&str> = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert_eq!(names.first(), Some(&"experiment.toml"), "{names:?}");
    assert_eq!(names.get(1), Some(&"checkpoint.npz"), "{names:?}");
    assert_eq!(&names[names.len() - 2..], ["manifest.json", "summary.json"]);
    let details = manifest["file_details"].as_array().unwrap();
    assert_eq!(
        details.len(),
        names.len() - 1,
        "all but manifest.json itself"
    );
    for (d, name) in details
        .iter()
        .zip(names.iter().filter(|n| **n != "manifest.json"))
    {
        assert_eq!(d["name"].as_str(), Some(*name));
        let bytes = std::fs::read(out.join(name)).unwrap();
        assert_eq!(d["bytes"].as_u64(), Some(bytes.len() as u64), "{name}");
        let crc = format!("{:08x}", crc32fast::hash(&bytes));
        assert_eq!(d["crc32"].as_str(), Some(crc.as_str()), "{name}");
    }
}

#[test]
fn a_checkpoint_with_more_loops_than_asked_for_is_not_resumed() {
    let dir = scratch("trust_more_loops");
    let done = dir.join("done");
    let mut args = vec![
        "run",
        "examples/lif_sine.toml",
        "--out",
        done.to_str().unwrap(),
    ];
    args.extend([
        "--quiet",
        "--no-report",
        "--set",
        "training.loops=2",
        "--set",
        "test.trials=1",
    ]);
    let o = spikeform(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let unfinished = dir.join("unfinished");
    std::fs::create_dir_all(&unfinished).unwrap();
    for f in ["checkpoint.npz", "experiment.toml"] {
        std::fs::copy(done.join(f), unfinished.join(f)).unwrap();
    }
    assert_fails(
        &[
            "run",
            "examples/lif_sine.toml",
            "--resume",
            unfinished.to_str().unwrap(),
            "--quiet",
            "--set",
            "training.loops=1",
        ],
        2,
        &[
            "checkpoint.npz",
            "holds 2 training loops but training.loops is 1",
        ],
    );
}

#[test]
fn spikeform_test_keeps_its_promise() {
    let dir = scratch("trust_test_promise");
    let done = dir.join("done");
    let mut args = vec![
        "run",
        "examples/lif_sine.toml",
        "--out",
        done.to_str().unwrap(),
    ];
    args.extend(["--quiet", "--no-report"]);
    args.extend(QUICK);
    let o = spikeform(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // Keys that would change the trained network are refused.
    for set in ["training.loops=10", "seed=3", "network.delay_ms=0.2"] {
        let key = set.split('=').next().unwrap();
        assert_fails(
            &["test", done.to_str().unwrap(), "--set", set, "--quiet"],
            2,
            &["--set", key, "only test.* and record.*"],
        );
    }
    assert!(!done.join("retest").join("summary.json").exists());
    // Bounds hold for a test too (it asked for 10^12 trials after training had run).
    assert_fails(
        &[
            "test",
            done.to_str().unwrap(),
            "--set",
            "test.trials=1000000000000",
            "--quiet",
        ],
        2,
        &["test.trials", "at most 100000"],
    );

    // A partly trained network (the run asked for more loops than its checkpoint holds) is
    // tested with a warning.
    let partial = dir.join("partial");
    std::fs::create_dir_all(&partial).unwrap();
    std::fs::copy(done.join("checkpoint.npz"), partial.join("checkpoint.npz")).unwrap();
    let text = std::fs::read_to_string(done.join("experiment.toml")).unwrap();
    assert!(text.contains("loops = 1\n"));
    write(
        &partial,
        "experiment.toml",
        &text.replace("loops = 1\n", "loops = 20\n"),
    );
    let o = spikeform(&["test", partial.to_str().unwrap(), "--quiet", "--no-report"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("warning:") && err.contains("holds 1 of the run's 20 training loops"),
        "{err}"
    );

    // A rate run is told what fits it.
    let rate = dir.join("rate");
    let o = spikeform(&[
        "run",
        "examples/rate_sine.toml",
        "--out",
        rate.to_str().unwrap(),
        "--quiet",
        "--no-report",
        "--set",
        "training.loops=2",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = spikeform(&["test", rate.to_str().unwrap(), "--quiet"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("holds a rate run") && !err.contains("no checkpoint here"),
        "{err}"
    );
}

#[test]
fn two_runs_into_one_directory_at_once_leave_one_consistent_run() {
    let dir = scratch("trust_two_runs");
    let out = dir.join("run");
    let out_s = out.to_str().unwrap();
    let first = std::process::Command::new(env!("CARGO_BIN_EXE_spikeform"))
        .args([
            "run",
            "examples/lif_sine.toml",
            "--out",
            out_s,
            "--quiet",
            "--no-report",
        ])
        .args(["--set", "training.loops=6", "--set", "test.trials=1"])
        .current_dir(root())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let t0 = std::time::Instant::now();
    while !out.join("experiment.toml").exists() {
        assert!(t0.elapsed().as_secs() < 60);
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    // The second run, with another seed, refuses while the first holds the directory.
    let mut args = vec!["run", "examples/lif_sine.toml", "--out", out_s, "--quiet"];
    args.extend(["--no-report", "--set", "seed=2"]);
    args.extend(QUICK);
    assert_fails(&args, 2, &["another spikeform run"]);
    let o = first.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(s["seed"], 1);
    assert_eq!(s["training"]["loops"], 6);
    let toml = std::fs::read_to_string(out.join("experiment.toml")).unwrap();
    assert!(
        toml.contains("seed = 1\n") && toml.contains("loops = 6\n"),
        "{toml}"
    );
}
