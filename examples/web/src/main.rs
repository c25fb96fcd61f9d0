//! `tessera-web`: runs the Credentials web application and prints its address.
//!
//! ```text
//! tessera-web [--port N] [--database postgres://…] [--origin URL] [--secure-cookies] [--fast-lockout]
//! ```
//! It listens on 127.0.0.1 and prints `listening on http://localhost:PORT`: browsers
//! allow WebAuthn (security keys) on plain http only for `localhost`. `--origin` names
//! the address browsers use instead (a TLS proxy's `https://…`), whose host becomes
//! the WebAuthn relying party id.
//! The port comes from `--port`, else `PORT`, else 0 (any free port). The state goes to
//! a fresh SQLite file in a temporary folder unless `--database` names a PostgreSQL
//! server.

use std::process::ExitCode;

use tessera_sqlx::SqlStores;
use tessera_web_example::{Options, app};

struct Args {
    port: u16,
    database: Option<String>,
    options: Options,
}

fn parse_args() -> Result<Args, String> {
    let mut port = std::env::var("PORT").ok();
    let mut database = None;
    let mut options = Options::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => port = Some(args.next().ok_or("--port needs a number")?),
            "--database" => database = Some(args.next().ok_or("--database needs a URL")?),
            "--origin" => options.origin = Some(args.next().ok_or("--origin needs a URL")?),
            "--secure-cookies" => options.secure_cookies = true,
            "--fast-lockout" => options.fast_lockout = true,
            "--help" | "-h" => {
                return Err(
                    "usage: tessera-web [--port N] [--database postgres://…] [--origin URL] [--secure-cookies] [--fast-lockout]"
                        .to_owned(),
                );
            }
            other => return Err(format!("unknown argument {other:?} (see --help)")),
        }
    }
    let port = match port {
        Some(p) => p.parse().map_err(|_| format!("not a port: {p:?}"))?,
        None => 0,
    };
    Ok(Args {
        port,
        database,
        options,
    })
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let stores = match &args.database {
        Some(url) if url.starts_with("postgres") => SqlStores::connect(url).await?,
        Some(other) => return Err(format!("expected a postgres:// URL, got {other:?}").into()),
        None => {
            let nonce = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)?
                .as_nanos();
            let dir = std::env::temp_dir().join(format!("tessera-web-{nonce}"));
            std::fs::create_dir_all(&dir)?;
            let path = dir.join("tessera.sqlite");
            eprintln!("SQLite database: {}", path.display());
            SqlStores::open_sqlite(&path).await?
        }
    };
    // Loopback only: an example, not a deployment.
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port)).await?;
    let port = listener.local_addr()?.port();
    let mut options = args.options;
    let origin = options
        .origin
        .get_or_insert_with(|| format!("http://localhost:{port}"))
        .clone();
    let router = app(stores, &options)?;
    println!("listening on {origin}");
    axum::serve(listener, router)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tessera-web: {e}");
            ExitCode::FAILURE
        }
    }
}
