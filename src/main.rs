//! `gapura` command line entry point.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = gapura::cli::Cli::parse();
    match gapura::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gapura: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
