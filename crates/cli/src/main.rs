//! `connscope analyze FILE [--json]`: the same core as the page, for scripts, CI and big files.
//! The file is streamed in chunks, so memory follows the number of connections, not file size.

use clap::{Parser, Subcommand};
use connscope_core::{report::text, Analyzer};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Read size: large enough for throughput, small enough to stay flat in memory.
const CHUNK: usize = 4 << 20;

#[derive(Parser)]
#[command(
    name = "connscope",
    version,
    about = "Why does each connection in a capture exist?"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Analyse a pcap / pcapng (optionally gzip-compressed) capture.
    Analyze {
        /// The capture file (`-` for standard input).
        file: PathBuf,
        /// Print the JSON report (the page's export format) instead of the text summary.
        #[arg(long)]
        json: bool,
        /// An NSS key log (SSLKEYLOGFILE) to decrypt TLS with; may be given several times.
        /// Secrets inside a pcapng (Decryption Secrets Blocks) are used without this.
        #[arg(long, value_name = "KEYS")]
        keylog: Vec<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Analyze { file, json, keylog } => analyze(&file, json, &keylog),
    }
}

fn analyze(path: &PathBuf, json: bool, keylogs: &[PathBuf]) -> ExitCode {
    let shown = path.display();
    let mut input: Box<dyn Read> = if path.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        match std::fs::File::open(path) {
            Ok(f) => Box::new(f),
            Err(e) => {
                eprintln!("connscope: {shown}: {e}");
                return ExitCode::from(2);
            }
        }
    };
    let mut analyzer = Analyzer::new();
    for k in keylogs {
        match std::fs::read(k) {
            Ok(text) => analyzer.add_keylog(&text),
            Err(e) => {
                eprintln!("connscope: {}: {e}", k.display());
                return ExitCode::from(2);
            }
        }
    }
    let mut buf = vec![0u8; CHUNK];
    loop {
        match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => analyzer.feed(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                eprintln!("connscope: {shown}: read error: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let report = analyzer.finish();
    if let Some(err) = &report.error {
        if err.code == "not_a_capture" {
            eprintln!("connscope: {shown}: {}", err.message);
            return ExitCode::from(2);
        }
    }
    // Stdout is line-buffered, and pretty JSON has a line per field: buffer it ourselves.
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let written = if json {
        serde_json::to_writer_pretty(&mut out, &report)
            .map_err(std::io::Error::other)
            .and_then(|()| writeln!(out))
    } else {
        out.write_all(text::render(&report).as_bytes())
    }
    .and_then(|()| out.flush());
    if let Err(e) = written {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("connscope: cannot write the report: {e}");
            return ExitCode::from(1);
        }
    }
    if let Some(err) = &report.error {
        eprintln!(
            "connscope: {shown}: warning: {} (the report covers everything before it)",
            err.message
        );
    }
    ExitCode::SUCCESS
}
