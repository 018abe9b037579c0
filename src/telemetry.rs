//! Tracing setup: human-readable or JSON lines filtered by `RUST_LOG`, and, when an
//! OTLP endpoint is configured (`GAPURA_OTLP_ENDPOINT`, off by default), request
//! spans exported to an OpenTelemetry collector over OTLP/HTTP.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Keeps the exporter alive; `shutdown` flushes spans still buffered.
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    pub fn shutdown(self) {
        if let Some(p) = self.provider
            && let Err(e) = p.shutdown()
        {
            eprintln!("gapura: OpenTelemetry shutdown: {e}");
        }
    }
}

pub fn init(format: &str, otlp_endpoint: Option<&str>) -> anyhow::Result<Telemetry> {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let fmt = if format == "json" {
        tracing_subscriber::fmt::layer()
            .json()
            .with_target(true)
            .boxed()
    } else {
        tracing_subscriber::fmt::layer().with_target(true).boxed()
    };
    let (otel, provider) = match otlp_endpoint {
        Some(endpoint) => {
            let exporter = opentelemetry_otlp::SpanExporter::builder()
                .with_http()
                .with_endpoint(endpoint)
                .build()?;
            let provider = SdkTracerProvider::builder()
                .with_batch_exporter(exporter)
                .with_resource(
                    opentelemetry_sdk::Resource::builder()
                        .with_service_name("gapura")
                        .build(),
                )
                .build();
            let layer = tracing_opentelemetry::layer().with_tracer(provider.tracer("gapura"));
            (Some(layer), Some(provider))
        }
        None => (None, None),
    };
    // Already initialised (tests start several applications in one process): keep it.
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(fmt)
        .with(otel)
        .try_init();
    Ok(Telemetry { provider })
}

/// Names the client a request speaks for in the request's log lines: the id it
/// claimed, proven or not (an operator needs it most when the proof failed).
/// Never a secret: a client id is public.
pub fn note_claimed_client(client_id: &str) {
    let bounded: String = client_id.chars().take(128).collect();
    let shown = crate::domain::text::quoted(&bounded);
    tracing::Span::current().record("client_id", shown.as_str());
}
