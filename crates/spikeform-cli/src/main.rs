//! `spikeform`: build, train and analyse recurrent networks from experiment files.
//!
//! Exit codes: 0 success; 1 a run stopped (NaN, runaway activity, interrupted) or could not write
//! its results; 2 bad input (experiment file, override, data file, directory).

mod progress;
mod run;
mod theory;

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Check { file, set } => run::check(&file, &set),
        Command::Run {
            file,
            out,
            set,
            threads,
            quiet,
        } => run::run(&file, out.as_deref(), &set, threads, quiet),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("error: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}
