//! `rulescope serve`: one job, serving a built catalog. The site's pages and exports are
//! served byte for byte as `rulescope build` writes them, beside a JSON API over the same
//! analysis (`/api/rules`, `/api/rules/{id}`, `/api/search`, `/api/indicators`,
//! `/api/techniques/{id}`, `/api/status`), and the catalog is rebuilt when a rule file
//! changes.
//!
//! The crate does not load or lint rules: the caller hands it a [`Rebuild`] closure, so the
//! pipeline from files to a [`CorpusAnalysis`] stays in one place (the CLI's `build`).

mod api;
mod error;
mod files;
mod snapshot;
mod watch;

use std::net::TcpListener;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::SystemTime;

use rulescope_analysis::CorpusAnalysis;
use rulescope_site::SiteOptions;

pub use api::router;
pub use snapshot::Snapshot;
pub use watch::{Watcher, watch};

/// Produces the analysis a catalog is built from; called for the first build and for every
/// rebuild, off the request path.
pub type Rebuild = Arc<dyn Fn() -> anyhow::Result<(CorpusAnalysis, SiteOptions)> + Send + Sync>;

/// The catalog being served, swapped whole when a rebuild succeeds: a request holds the
/// snapshot it started with, so it never sees half of two builds.
pub struct Live {
    current: RwLock<Arc<Snapshot>>,
    rebuild: Rebuild,
    /// Held for the length of a rebuild: rebuilds run one at a time, in order.
    building: Mutex<()>,
    last_error: Mutex<Option<BuildError>>,
}

/// Why the latest rebuild failed (cleared by the next one that succeeds).
#[derive(Clone, Debug, serde::Serialize)]
pub struct BuildError {
    pub message: String,
    pub at_unix_ms: u64,
}

impl Live {
    /// Runs the first build; the server starts only with a catalog to serve.
    pub fn new(rebuild: Rebuild) -> anyhow::Result<Arc<Self>> {
        let (corpus, options) = rebuild()?;
        let snapshot = Snapshot::build(corpus, &options, 1)?;
        Ok(Arc::new(Self {
            current: RwLock::new(Arc::new(snapshot)),
            rebuild,
            building: Mutex::new(()),
            last_error: Mutex::new(None),
        }))
    }

    /// The catalog as of now.
    pub fn current(&self) -> Arc<Snapshot> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub fn last_error(&self) -> Option<BuildError> {
        self.last_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Builds the catalog again and swaps it in. Blocking: call it from a thread of its own.
    /// On failure the catalog served stays as it was, and the error is logged and kept for
    /// `/api/status`.
    pub fn rebuild(&self) -> anyhow::Result<()> {
        let _one_at_a_time = self.building.lock().unwrap_or_else(PoisonError::into_inner);
        let generation = self.current().generation() + 1;
        let built = (self.rebuild)()
            .and_then(|(corpus, options)| Snapshot::build(corpus, &options, generation));
        let mut last_error = self
            .last_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match built {
            Ok(snapshot) => {
                tracing::info!(
                    generation,
                    rules = snapshot.corpus().rules.len(),
                    "catalog rebuilt"
                );
                *self.current.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(snapshot);
                *last_error = None;
                Ok(())
            }
            Err(error) => {
                tracing::error!("rebuild failed, still serving the previous catalog: {error:#}");
                *last_error = Some(BuildError {
                    message: format!("{error:#}"),
                    at_unix_ms: unix_ms(SystemTime::now()),
                });
                Err(error)
            }
        }
    }
}

/// Serves `live` on `listener` until the process ends. Blocking: it runs its own runtime.
pub fn serve(live: Arc<Live>, listener: TcpListener) -> anyhow::Result<()> {
    listener.set_nonblocking(true)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_io()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener)?;
        axum::serve(listener, router(live)).await?;
        Ok(())
    })
}

fn unix_ms(time: SystemTime) -> u64 {
    time.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
