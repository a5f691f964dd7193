//! `hepfloat`: inspect ROOT and Parquet files, compress them as ATLAS does, fit and apply
//! precision upsamplers, and evaluate them with tables and plots. See the crate README.

mod commands;
mod evaluate;
mod guard;
mod io;
mod observables;
mod output;
mod plot;
mod schemes;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, Parser, Subcommand};

/// Precision upsampling of lossy-compressed HEP floats.
///
/// FILE arguments are ROOT files (a TTree), Parquet files whose columns are branch names, or
/// `toy[:EVENTS[:SEED]]` for the built-in PHYSLITE-like generator.
#[derive(Debug, Parser)]
#[command(name = "hepfloat", version, about, long_about = None)]
pub struct Cli {
    /// No progress bars or summaries on the terminal.
    #[arg(long, global = true)]
    quiet: bool,
    /// Print the result as JSON on stdout (for scripts); implies --quiet for progress.
    #[arg(long, global = true)]
    json: bool,
    /// Threads for the work that runs in parallel (reading and decoding the columns of each
    /// batch, compressing and upsampling columns); every core by default. Results are the same
    /// whatever the number.
    #[arg(long, global = true, value_parser = clap::value_parser!(u16).range(1..))]
    threads: Option<u16>,
    /// Most bytes of a Parquet row group that hepfloat writes, in MiB, as Arrow holds its rows
    /// decoded: a writer holds its open row group in memory, so this bounds a command's memory
    /// whatever the size of the input. Larger row groups mean fewer, longer reads for whoever
    /// reads the file.
    #[arg(long, global = true, default_value_t = 64, value_name = "MIB", value_parser = clap::value_parser!(u16).range(1..))]
    row_group_mib: u16,
    /// Most bytes of a Parquet data page, in KiB, before compression: a reader holds one
    /// decoded page per column, so with hundreds of columns this bounds its memory.
    #[arg(long, global = true, default_value_t = 1024, value_name = "KIB", value_parser = clap::value_parser!(u32).range(4..=65536))]
    page_kib: u32,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Trees, branches, types, counts and the detected kept mantissa bits of each float branch.
    Inspect(commands::InspectArgs),
    /// Round float mantissas as a producer does (ATLAS DAOD by default), keeping exempt variables.
    Compress(commands::CompressArgs),
    /// Learn an upsampling model from original (uncompressed) data.
    Fit(commands::FitArgs),
    /// Reconstruct precision in a compressed file with a fitted model.
    Upsample(commands::UpsampleArgs),
    /// Compare compressed and upsampled files to the original: tables and plots.
    Evaluate(evaluate::EvaluateArgs),
    /// The whole chain at k = 7 and 15 on FILE (or the toy generator) with a report.
    Demo(commands::DemoArgs),
    /// Every method (gate, priors, relations, each neural model) side by side at k = 7 and 15.
    Compare(commands::CompareArgs),
}

/// Options shared by every command that reads data.
#[derive(Debug, Clone, Args)]
pub struct Source {
    /// The TTree to read from a ROOT file (default: the only one, or CollectionTree).
    #[arg(long)]
    tree: Option<String>,
    /// Events to use, `A..B` (either end may be left out).
    #[arg(long, value_parser = io::parse_entries, default_value = "..")]
    entries: std::ops::Range<u64>,
    /// Columns to use: branch names or globs (`*`, `?`), comma-separated; all by default.
    #[arg(long, value_delimiter = ',')]
    branches: Vec<String>,
    /// Skip the branches of a ROOT file that damage makes unreadable (they are listed in the
    /// summary and the JSON) instead of failing. Branches of types hepfloat does not read are
    /// always skipped and listed by `inspect`.
    #[arg(long)]
    skip_damaged: bool,
}

/// How the terminal output behaves.
#[derive(Debug, Clone, Copy)]
pub struct Out {
    quiet: bool,
    json: bool,
}

impl Out {
    /// A progress bar over `total` units (hidden when quiet).
    pub fn bar(&self, total: u64, what: &str) -> indicatif::ProgressBar {
        if self.quiet || self.json {
            return indicatif::ProgressBar::hidden();
        }
        let bar = indicatif::ProgressBar::new(total);
        let style =
            indicatif::ProgressStyle::with_template("{msg:>12} [{bar:30}] {pos}/{len} events ({per_sec}, {eta})")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> ");
        bar.set_style(style);
        bar.set_message(what.to_string());
        bar
    }

    /// A spinner for a step of unknown length (hidden when quiet).
    pub fn spinner(&self, what: &str) -> indicatif::ProgressBar {
        if self.quiet || self.json {
            return indicatif::ProgressBar::hidden();
        }
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_message(what.to_string());
        bar.enable_steady_tick(std::time::Duration::from_millis(100));
        bar
    }

    /// Print a line for people (not in quiet or JSON mode).
    pub fn say(&self, line: impl AsRef<str>) {
        if !(self.quiet || self.json) {
            print_line(&mut std::io::stdout().lock(), line.as_ref());
        }
    }

    /// Print the machine-readable result (JSON mode only).
    pub fn json(&self, value: &serde_json::Value) {
        if self.json {
            print_line(&mut std::io::stdout().lock(), &serde_json::to_string_pretty(value).unwrap_or_default());
        }
    }
}

/// Print a line for the terminal or a pipe. A reader that went away (`hepfloat inspect … |
/// head`) is not an error, and no panic as with `println!`: the work goes on, unprinted.
fn print_line(to: &mut impl std::io::Write, text: &str) {
    let _ = writeln!(to, "{text}");
}

/// Where a command writes: `-o PATH`.
#[derive(Debug, Clone, Args)]
pub struct Output {
    /// Output file.
    #[arg(short, long)]
    output: PathBuf,
}

fn run(cli: Cli) -> Result<()> {
    let out = Out { quiet: cli.quiet, json: cli.json };
    if let Some(n) = cli.threads {
        rayon::ThreadPoolBuilder::new().num_threads(usize::from(n)).build_global()?;
    }
    io::set_parquet_options(hep_io::ParquetOptions {
        row_group_bytes: usize::from(cli.row_group_mib) << 20,
        page_bytes: (cli.page_kib as usize) << 10,
        ..Default::default()
    });
    match cli.command {
        Command::Inspect(a) => commands::inspect(&a, out),
        Command::Compress(a) => commands::compress(&a, out).map(|_| ()),
        Command::Fit(a) => commands::fit(&a, out).map(|_| ()),
        Command::Upsample(a) => commands::upsample(&a, out),
        Command::Evaluate(a) => evaluate::run(&a, out).map(|_| ()),
        Command::Demo(a) => commands::demo(&a, out),
        Command::Compare(a) => commands::compare(&a, out),
    }
}

/// Longest line of an error message; longer ones (a schema listing every column) are cut.
const MAX_LINE: usize = 2000;

/// `text` cut to about `max` characters, saying how much was left out.
pub(crate) fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_string(),
        Some((cut, _)) => {
            format!("{} … ({} more characters left out)", &text[..cut], text[cut..].chars().count())
        }
    }
}

/// The lines of an error for the terminal: the error, then each cause that the line before does
/// not already say, every line cut to [`MAX_LINE`] characters.
fn error_lines(e: &anyhow::Error) -> Vec<String> {
    let mut lines = vec![format!("error: {}", shorten(&e.to_string(), MAX_LINE))];
    let mut previous = e.to_string();
    for cause in e.chain().skip(1) {
        let text = cause.to_string();
        if !previous.contains(&text) {
            lines.push(format!("  caused by: {}", shorten(&text, MAX_LINE)));
        }
        previous = text;
    }
    lines
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = output::install_signal_handlers().and_then(|()| run(cli));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            for line in error_lines(&e) {
                print_line(&mut std::io::stderr().lock(), &line);
            }
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        // clap's own checks (unique argument names across flattened groups, …), which otherwise
        // run only when a debug binary parses its arguments.
        <Cli as clap::CommandFactory>::command().debug_assert();
    }

    #[test]
    fn errors_print_each_cause_once_and_giant_lines_cut() {
        let inner = anyhow::anyhow!("disk full");
        let e = inner.context("cannot write x.parquet: disk full").context("compressing toy:10");
        assert_eq!(error_lines(&e), ["error: compressing toy:10", "  caused by: cannot write x.parquet: disk full"]);
        let giant = anyhow::anyhow!("schema {}", "x".repeat(200_000));
        let lines = error_lines(&giant);
        assert_eq!(lines.len(), 1);
        assert!(
            lines[0].len() < MAX_LINE + 100
                && lines[0].ends_with(&format!("({} more characters left out)", 200_007 - MAX_LINE)),
            "{}",
            &lines[0][..80]
        );
        assert_eq!(shorten("héllo", 2), "hé … (3 more characters left out)");
        assert_eq!(shorten("héllo", 5), "héllo");
    }
}
