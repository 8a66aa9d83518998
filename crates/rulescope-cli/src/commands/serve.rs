//! `rulescope serve`: the catalog site and its JSON API on 127.0.0.1, rebuilt when a rule
//! file changes. The pipeline is `build`'s; `rulescope-serve` only serves what it makes.

use std::net::{Ipv4Addr, TcpListener};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;

use super::build::{SiteArgs, catalog};
use crate::Verbosity;

/// How long file changes must settle before a rebuild: an editor's save is several events.
const DEBOUNCE: Duration = Duration::from_millis(300);

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub site: SiteArgs,
    /// The port to listen on, on 127.0.0.1 only (0 picks a free port).
    #[arg(long, default_value_t = 8000)]
    port: u16,
}

pub fn run(args: &Args, verbosity: Verbosity) -> anyhow::Result<ExitCode> {
    let site = args.site.clone();
    let first = AtomicBool::new(true);
    let live = rulescope_serve::Live::new(Arc::new(move || {
        // Progress and warnings for the first build; rebuilds only say they happen.
        if first.swap(false, Ordering::Relaxed) {
            catalog(&site, verbosity)
        } else {
            if verbosity != Verbosity::Quiet {
                eprintln!("rules changed: rebuilding the catalog");
            }
            catalog(&site, Verbosity::Quiet)
        }
    }))?;
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, args.port))
        .with_context(|| format!("listening on 127.0.0.1:{}", args.port))?;
    let addr = listener.local_addr()?;
    let _watcher = rulescope_serve::watch(live.clone(), &args.site.paths, DEBOUNCE)?;
    let rules = live.current().corpus().rules.len();
    println!("Serving {rules} rules at http://{addr}/ (JSON API under /api/); Ctrl-C stops");
    rulescope_serve::serve(live, listener)?;
    Ok(ExitCode::SUCCESS)
}
