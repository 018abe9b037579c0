//! `gapura-bench`: starts a release build of Gapura, prepares clients and a user,
//! drives each scenario with N concurrent connections, and measures in the same run
//! the floors of this machine with Gapura's own crypto code (argon2id verifications/s,
//! RS256 and ES256 signatures/s on all cores). Prints a markdown table of requests/s,
//! latency percentiles, errors, ratio to floor and peak RSS, and writes it to a file.
//!
//! ```sh
//! cargo build --release && cargo run --release -p gapura-bench -- --out bench/RESULTS.md
//! ```

mod floors;
mod load;
mod server;
mod setup;
mod wire;

use clap::Parser;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(about = "Benchmarks Gapura against the physical floor of this machine")]
struct Args {
    /// The Gapura binary (a release build).
    #[arg(long, default_value = "target/release/gapura")]
    gapura: PathBuf,
    /// Seconds per scenario.
    #[arg(long, default_value_t = 8)]
    duration: u64,
    /// Concurrent connections.
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// SSO sessions to create for the memory scenario.
    #[arg(long, default_value_t = 10_000)]
    sessions: usize,
    /// SSO sessions for the memory scenario on PostgreSQL + Redis (sessions live in
    /// PostgreSQL; each costs a login, so fewer are made there).
    #[arg(long, default_value_t = 1_000)]
    pg_sessions: usize,
    /// Also run against PostgreSQL + Redis (`--pg-url`, `--redis-url`).
    #[arg(long)]
    with_pg_redis: bool,
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/test")]
    pg_url: String,
    #[arg(long, default_value = "redis://127.0.0.1:6379")]
    redis_url: String,
    /// Run only the scenarios whose name contains one of these (e.g. `--only refresh`;
    /// `sessions` for the memory scenario). All when absent.
    #[arg(long)]
    only: Vec<String>,
    /// Markdown report.
    #[arg(long, default_value = "bench/RESULTS.md")]
    out: PathBuf,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    eprintln!("measuring floors on {cores} cores ...");
    let floors = floors::measure(Duration::from_secs(3)).await?;
    let mut report = String::new();
    writeln!(report, "# Gapura benchmark\n")?;
    writeln!(
        report,
        "Machine: {cores} cores; release build; {} connections; {} s per scenario.\n",
        args.connections, args.duration
    )?;
    writeln!(report, "## Floors (Gapura's own crypto code, all cores)\n")?;
    writeln!(
        report,
        "Measured at the start; each scenario's `floor/s` was measured again just before it \
         (this machine's speed drifts by 10-20% over minutes), and its ratio is to that.\n"
    )?;
    writeln!(report, "| floor | per second |\n|---|---:|")?;
    writeln!(
        report,
        "| argon2id verify (m=19 MiB, t=2, p=1) | {:.0} |",
        floors.argon2
    )?;
    writeln!(report, "| RS256 sign | {:.0} |", floors.rs256)?;
    writeln!(report, "| ES256 sign | {:.0} |", floors.es256)?;
    writeln!(report)?;

    let mut backends = vec![server::Backend::Embedded];
    if args.with_pg_redis {
        backends.push(server::Backend::PgRedis {
            pg: args.pg_url.clone(),
            redis: args.redis_url.clone(),
        });
    }
    for backend in backends {
        eprintln!("== {} ==", backend.name());
        let sessions = match backend {
            server::Backend::Embedded => args.sessions,
            server::Backend::PgRedis { .. } => args.pg_sessions,
        };
        let run = setup::run_all(
            &args.gapura,
            &backend,
            Duration::from_secs(args.duration),
            args.connections,
            sessions,
            &floors,
            &args.only,
        )
        .await?;
        report.push_str(&run);
    }
    println!("{report}");
    if let Some(dir) = args.out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&args.out, &report)?;
    eprintln!("written to {}", args.out.display());
    Ok(())
}
