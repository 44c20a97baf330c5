//! Project automation: `cargo xtask <command>`. Every set-up step a fresh machine needs lives here,
//! so the README's two commands (`serve`, `test`) work on a bare machine and in CI.

use std::process::ExitCode;

mod bench;
mod dist;
mod e2e;
mod fuzz;
mod gen;
mod lab;
mod serve;
mod test;
mod util;

const USAGE: &str = "usage: cargo xtask <command>

commands:
  test     install prerequisites, run every test (native, wasm build, browser)
  serve    build the page and serve it on http://127.0.0.1:8080 [--port N] [--no-build]
  dist     build the static page into dist/ [--out DIR] [--no-opt]
  e2e      browser tests of the page in headless Chromium (tests/e2e) [--no-build]
  bench    benchmark: native core, tshark, browser (--browser), memory (--memory); docs/benchmarks.md
  gen      write a deterministic realistic capture: --size 200M --format pcap|pcapng --out FILE
  fuzz     cargo-fuzz targets: fuzz [TARGET] [SECONDS] | fuzz seed (see fuzz/README.md)
  lab      capture lab: real Chromium/nginx/tcpdump captures + NetLog ground truth (tests/lab)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(cmd) = args.first() else {
        eprint!("{USAGE}");
        return ExitCode::from(2);
    };
    let rest = &args[1..];
    let result = match cmd.as_str() {
        "help" | "--help" | "-h" => {
            print!("{USAGE}");
            Ok(())
        }
        "fuzz" => fuzz::main(rest),
        "lab" => lab::main(rest),
        "gen" => gen::main(rest),
        "bench" => bench::main(rest),
        "test" => test::main(rest),
        "serve" => serve::main(rest),
        "dist" => dist::main(rest),
        "e2e" => e2e::main(rest),
        other => Err(format!("unknown command `{other}`\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}
