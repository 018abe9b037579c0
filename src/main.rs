//! `gapura` command line entry point.

use clap::Parser;

fn main() -> std::process::ExitCode {
    // Allocator settings must be in place before the runtime starts its threads.
    gapura::alloc::tune();
    let cli = gapura::cli::Cli::parse();
    if !matches!(cli.command, gapura::cli::Command::Serve { .. }) {
        quiet_on_closed_pipe();
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("gapura: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(gapura::cli::run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gapura: {}", report(&e));
            std::process::ExitCode::FAILURE
        }
    }
}

/// An admin command whose output goes to a pipe that closes early
/// (`gapura user list | head`) ends quietly, as any Unix tool does, instead of
/// panicking in `println!`: SIGPIPE gets its default action back. Not for `serve`,
/// whose sockets must see a closed peer as an error, never as a signal.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn quiet_on_closed_pipe() {
    // SAFETY: called before any thread exists; restores a signal's default
    // disposition, which touches no memory of this program.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn quiet_on_closed_pipe() {}

/// The error and its causes on one line, each said once: most of Gapura's errors
/// already include their cause in their own message.
fn report(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain() {
        let part = cause.to_string();
        if text.contains(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    text
}
