//! Starting and watching a release build of Gapura as a child process.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

#[derive(Debug, Clone)]
pub enum Backend {
    Embedded,
    PgRedis { pg: String, redis: String },
}

impl Backend {
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Embedded => "SQLite",
            Backend::PgRedis { .. } => "PostgreSQL + Redis",
        }
    }
}

pub struct Server {
    pub child: Child,
    pub base: String,
    pub env: Vec<(String, String)>,
    pub binary: PathBuf,
}

pub fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Environment of one benchmark deployment (fresh database, keys and store prefix).
pub async fn environment(
    backend: &Backend,
    dir: &Path,
    port: u16,
) -> anyhow::Result<Vec<(String, String)>> {
    let mut env = vec![
        ("GAPURA_BIND".to_owned(), format!("127.0.0.1:{port}")),
        (
            "GAPURA_KEYS_DIR".to_owned(),
            dir.join("keys").display().to_string(),
        ),
        (
            "GAPURA_ADMIN_PASSWORD".to_owned(),
            "bench-admin-password".to_owned(),
        ),
        ("RUST_LOG".to_owned(), "warn".to_owned()),
        // The benchmark drives many logins from one address: lift the brute-force thresholds.
        (
            "GAPURA_LOGIN_GUARD__PAIR_THRESHOLD".to_owned(),
            "1000000".to_owned(),
        ),
    ];
    match backend {
        Backend::Embedded => {
            env.push((
                "DATABASE_URL".to_owned(),
                format!("sqlite://{}/bench.db?mode=rwc", dir.display()),
            ));
        }
        Backend::PgRedis { pg, redis } => {
            use sea_orm::ConnectionTrait;
            let name = format!("gapura_bench_{}", std::process::id());
            let admin = sea_orm::Database::connect(pg.as_str()).await?;
            admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name}"))
                .await?;
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await?;
            let base = pg.rsplit_once('/').map(|(b, _)| b).unwrap_or(pg);
            env.push(("DATABASE_URL".to_owned(), format!("{base}/{name}")));
            env.push(("REDIS_URL".to_owned(), redis.clone()));
            env.push((
                "GAPURA_STORE_PREFIX".to_owned(),
                format!("gapura-bench-{}:", std::process::id()),
            ));
        }
    }
    Ok(env)
}

impl Server {
    /// Starts `gapura serve` and waits for `/health/ready`; returns the time that took.
    pub async fn start(
        binary: &Path,
        env: &[(String, String)],
        port: u16,
    ) -> anyhow::Result<(Server, Duration)> {
        let started = Instant::now();
        let child = Command::new(binary)
            .arg("serve")
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env_remove(if env.iter().any(|(k, _)| k == "REDIS_URL") {
                "UNUSED"
            } else {
                "REDIS_URL"
            })
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()?;
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        loop {
            if let Ok(r) = http.get(format!("{base}/health/ready")).send().await {
                if r.status().is_success() {
                    break;
                }
            }
            if started.elapsed() > Duration::from_secs(60) {
                anyhow::bail!("gapura did not become ready");
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let elapsed = started.elapsed();
        Ok((
            Server {
                child,
                base,
                env: env.to_vec(),
                binary: binary.to_path_buf(),
            },
            elapsed,
        ))
    }

    /// Resident set size now and at its peak, in MiB (from /proc).
    pub fn rss_mib(&self) -> (f64, f64) {
        let Some(pid) = self.child.id() else {
            return (0.0, 0.0);
        };
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<f64>().ok())
                .map(|kb| kb / 1024.0)
                .unwrap_or(0.0)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }

    /// Runs a CLI command of the same deployment and returns its standard output.
    pub async fn cli(&self, args: &[&str], stdin: Option<&str>) -> anyhow::Result<String> {
        use tokio::io::AsyncWriteExt;
        let mut cmd = Command::new(&self.binary);
        cmd.args(args)
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = cmd.spawn()?;
        if let Some(mut input) = child.stdin.take() {
            input.write_all(stdin.unwrap_or("").as_bytes()).await?;
        }
        let out = child.wait_with_output().await?;
        if !out.status.success() {
            anyhow::bail!("gapura {args:?} failed");
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(pid) = self.child.id() {
            let _ = Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status()
                .await;
        }
        let _ = tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await;
        let _ = self.child.kill().await;
        Ok(())
    }
}
