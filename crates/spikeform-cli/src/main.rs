//! `spikeform`: build, train and analyse recurrent networks from experiment files.
//!
//! Exit codes: 0 success; 1 a run stopped (NaN, runaway activity) or could not write its
//! results; 2 bad input (experiment file, override, data file, directory, a run that would not
//! fit in memory); 130 (SIGINT, Ctrl-C) or 143 (SIGTERM) a run stopped at a safe point after
//! writing its checkpoint (`--resume` continues it).

mod long_run;
mod perturb;
mod progress;
mod report;
mod run;
mod signals;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Recurrent rate and spiking networks trained with recursive least squares.
#[derive(Parser)]
#[command(name = "spikeform", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate an experiment file and print it normalized (every key, defaults filled in).
    Check {
        /// The experiment file (TOML).
        file: PathBuf,
        /// Override a key by its dotted path, e.g. --set training.loops=5 (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
    },
    /// Run an experiment end to end and write its results to a run directory.
    Run {
        /// The experiment file (TOML).
        file: PathBuf,
        /// Run directory (default: runs/NAME, never overwriting a finished run).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Override a key by its dotted path, e.g. --set training.loops=5 --set seed=3.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// Worker threads (default: all cores). Results do not depend on it.
        #[arg(long, value_name = "N")]
        threads: Option<usize>,
        /// No progress output on stderr.
        #[arg(long)]
        quiet: bool,
        /// Continue the run in DIR from its last checkpoint (spiking runs).
        #[arg(long, value_name = "DIR")]
        resume: Option<PathBuf>,
        /// Do not write report.html and figures/ at the end (`spikeform report DIR` does it later).
        #[arg(long)]
        no_report: bool,
        /// Run FILE's [perturbation] on the network trained in this run directory, without
        /// training again (FILE must describe the same experiment).
        #[arg(long, value_name = "RUN_DIR", conflicts_with = "resume")]
        from: Option<PathBuf>,
    },
    /// Test a trained network again from its checkpoint, without retraining.
    Test {
        /// A run directory holding experiment.toml and checkpoint.npz.
        run_dir: PathBuf,
        /// Where to write the new results (default: RUN_DIR/retest, RUN_DIR/retest.2, ...).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Override a key, e.g. --set test.trials=20.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// Worker threads.
        #[arg(long, value_name = "N")]
        threads: Option<usize>,
        /// No progress output on stderr.
        #[arg(long)]
        quiet: bool,
        /// Do not write report.html and figures/ at the end.
        #[arg(long)]
        no_report: bool,
    },
    /// Write RUN_DIR/report.html (figures inline, self-contained) and RUN_DIR/figures/ (SVG, PNG).
    Report {
        /// A finished run directory (one with summary.json).
        run_dir: PathBuf,
    },
}

/// A failure with its exit code.
pub struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    /// Bad input: exit code 2.
    pub fn input(message: impl ToString) -> Self {
        Self {
            code: 2,
            message: message.to_string(),
        }
    }

    /// A run that stopped or could not write its results: exit code 1.
    pub fn run(message: impl ToString) -> Self {
        Self {
            code: 1,
            message: message.to_string(),
        }
    }

    /// A run stopped by `signal`: exit code 128 + its number.
    pub fn interrupted(signal: i32, message: impl ToString) -> Self {
        Self {
            code: signals::exit_code(signal),
            message: message.to_string(),
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    signals::install();
    let outcome = match cli.command {
        Command::Check { file, set } => run::check(&file, &set),
        Command::Run {
            file,
            out,
            set,
            threads,
            quiet,
            resume,
            no_report,
            from,
        } => run::run(
            &file,
            out.as_deref(),
            &set,
            threads,
            quiet,
            resume.as_deref(),
            from.as_deref(),
        )
        .map(|dir| report::after_run(&dir, no_report)),
        Command::Test {
            run_dir,
            out,
            set,
            threads,
            quiet,
            no_report,
        } => run::test(&run_dir, out.as_deref(), &set, threads, quiet)
            .map(|dir| report::after_run(&dir, no_report)),
        Command::Report { run_dir } => report::report(&run_dir),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("error: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}
