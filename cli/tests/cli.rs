//! The `bunq-oauth` command line, run as a process against the built-in fake.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

fn bin() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bunq-oauth"));
    // Never touch the developer's real config or environment.
    command
        .env_remove("BUNQ_API_URL")
        .env_remove("BUNQ_OAUTH_AUTHORIZE_URL")
        .env_remove("BUNQ_OAUTH_TOKEN_URL")
        .env_remove("BUNQ_API_KEY")
        .env_remove("BUNQ_CONTEXT")
        .env(
            "BUNQ_OAUTH_CONFIG_DIR",
            "/nonexistent/bunq-oauth-test-config",
        )
        .stdin(Stdio::null());
    command
}

fn run(command: &mut Command) -> Output {
    command.output().expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            stdout(output),
            stderr(output)
        )
    })
}

#[test]
fn demo_runs_the_whole_onboarding() {
    let output = run(bin().arg("demo"));
    let text = stdout(&output);
    assert!(output.status.success(), "{text}\n{}", stderr(&output));
    for step in [
        "Create the app owner's API context",
        "Register an OAuth client",
        "Add the app's callback URL",
        "Build the authorize URL",
        "follow bunq's redirect",
        "exchange the code for an access token",
        "Connect as the user",
        "List the user's monetary accounts",
        "Read the recent payments of",
        "Pay 25.00 EUR from",
        "draft-payment of 40.00 EUR",
        "Wait for the user to approve it",
        ": ACCEPTED",
        "ask bunq to post DRAFT_PAYMENT events",
        "Receive the callback bunq sent for the approval",
        "DRAFT_PAYMENT DRAFT_PAYMENT_ACCEPTED DraftPayment",
        "Onboarding complete: 15 steps",
    ] {
        assert!(text.contains(step), "missing step {step:?} in:\n{text}");
    }
    assert_eq!(text.matches("   ok (").count(), 15, "{text}");
    // The payment moved money between the user's accounts: Medical 1643.00 - 25.00.
    assert!(text.contains("1618.00 EUR"), "{text}");
    assert!(text.contains("UserApiKey"), "{text}");
    let ibans = text
        .split_whitespace()
        .filter(|w| w.len() == 18 && w.starts_with("NL") && w.get(4..8) == Some("BUNQ"))
        .count();
    assert!(ibans >= 1, "an IBAN is listed: {text}");
    assert!(!text.contains("FAILED"), "{text}");
    // Secrets are masked: no access token or client secret in full.
    assert!(text.contains("(masked; --show-secret to print)"), "{text}");
}

#[test]
fn demo_psd2_walks_the_provider_path() {
    let output = run(bin().args(["demo", "--psd2"]));
    let text = stdout(&output);
    assert!(output.status.success(), "{text}\n{}", stderr(&output));
    for step in [
        "Make a sandbox pseudo certificate",
        "C=NL,CN=bunq-oauth demo PISP AISP",
        "Register as a payment-service provider",
        "credential PENDING_FIRST_USE",
        "signed in as UserPaymentServiceProvider",
        "Register an OAuth client",
        "exchange the code for an access token",
        "List the user's monetary accounts",
        "Pay 25.00 EUR from",
        ": ACCEPTED",
        "Onboarding complete: 16 steps",
    ] {
        assert!(text.contains(step), "missing step {step:?} in:\n{text}");
    }
    assert_eq!(text.matches("   ok (").count(), 16, "{text}");
    assert!(
        !text.contains("FAILED") && !text.contains("PRIVATE KEY"),
        "{text}"
    );
}

#[test]
fn clients_and_callbacks_against_an_in_process_fake() {
    let output = run(bin().args(["--fake", "--json", "clients", "list"]));
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(json(&output), serde_json::json!([]));

    let output = run(bin().args(["--fake", "--json", "clients", "create"]));
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(json(&output)["id"].as_u64().is_some());

    let output = run(bin().args(["--fake", "clients", "show", "999999"]));
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("bunq answered HTTP 404"),
        "{}",
        stderr(&output)
    );
}

/// `bunq-oauth fake` in the background, and the environment that points the
/// other commands at it.
struct FakeProcess {
    child: Child,
    env: Vec<(String, String)>,
}

impl FakeProcess {
    fn start() -> Self {
        let mut child = bin()
            .arg("fake")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn the fake");
        let stdout = child.stdout.take().expect("stdout");
        let mut env = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let line = line.expect("a line");
            if let Some(rest) = line.strip_prefix("export ") {
                let (key, value) = rest.split_once('=').expect("KEY=value");
                env.push((key.to_owned(), value.to_owned()));
            }
            if line.starts_with("# stop") {
                break;
            }
        }
        assert_eq!(env.len(), 4, "{env:?}");
        FakeProcess { child, env }
    }

    fn command(&self, context: &Path) -> Command {
        let mut command = bin();
        for (key, value) in &self.env {
            command.env(key, value);
        }
        command.arg("--context").arg(context);
        command
    }
}

impl Drop for FakeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn every_subcommand_across_processes() {
    let fake = FakeProcess::start();
    let dir = tempfile::tempdir().unwrap();
    let owner = dir.path().join("owner.json");

    // init reads the API key from the environment, never from an argument.
    let output = run(fake.command(&owner).args(["--json", "init"]));
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(json(&output)["user_type"], "UserPerson");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&owner).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let expiry = |path: &Path| {
        let saved: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        chrono::DateTime::parse_from_rfc3339(saved["session"]["expires_at"].as_str().unwrap())
            .unwrap()
    };
    let before = expiry(&owner);
    let output = run(fake.command(&owner).arg("whoami"));
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).starts_with("UserPerson"),
        "{}",
        stdout(&output)
    );
    // A command that calls bunq saves the context back, with the session
    // bunq just extended.
    let output = run(fake.command(&owner).args(["--json", "clients", "list"]));
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(expiry(&owner) > before, "the saved expiry moved on");

    let output = run(fake.command(&owner).args(["--json", "clients", "create"]));
    assert!(output.status.success(), "{}", stderr(&output));
    let client_id = json(&output)["id"].as_u64().unwrap().to_string();

    // A second OAuth client is refused by bunq: exit 1, bunq's words quoted.
    let output = run(fake.command(&owner).args(["clients", "create"]));
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("bunq answered HTTP 400"),
        "{}",
        stderr(&output)
    );

    let output = run(fake.command(&owner).args(["clients", "list"]));
    assert!(output.status.success(), "{}", stderr(&output));
    let table = stdout(&output);
    assert!(table.starts_with("ID"), "{table}");
    assert!(table.contains("ACTIVE"), "{table}");
    assert!(
        table.contains("(masked; --show-secret to print)"),
        "{table}"
    );

    let output =
        run(fake
            .command(&owner)
            .args(["--json", "--show-secret", "clients", "show", &client_id]));
    assert!(output.status.success(), "{}", stderr(&output));
    let shown = json(&output);
    assert!(
        !shown["secret"].as_str().unwrap().contains("masked"),
        "{shown}"
    );

    let output = run(fake.command(&owner).args([
        "--json",
        "callbacks",
        "add",
        "--client",
        &client_id,
        "https://app.example/cb",
    ]));
    assert!(output.status.success(), "{}", stderr(&output));
    let callback_id = json(&output)["id"].as_u64().unwrap().to_string();

    // The redirect preflight: a near miss of the registered URL stops before
    // anyone is sent to bunq, and names the URL it nearly matches.
    let output = run(fake.command(&owner).args([
        "authorize",
        "--paste",
        "--redirect-uri",
        "https://app.example/cb/",
    ]));
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let said = stderr(&output);
    assert!(
        said.contains("`https://app.example/cb` is") && said.contains("trailing slash"),
        "{said}"
    );
    assert!(
        !stdout(&output).contains("oauth/auth?"),
        "no authorize URL was shown"
    );

    let output = run(fake.command(&owner).args([
        "callbacks",
        "update",
        "--client",
        &client_id,
        &callback_id,
        "https://app.example/cb2",
    ]));
    assert!(output.status.success(), "{}", stderr(&output));

    let output =
        run(fake
            .command(&owner)
            .args(["--json", "callbacks", "list", "--client", &client_id]));
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(json(&output)[0]["url"], "https://app.example/cb2");

    let output = run(fake.command(&owner).args([
        "--json",
        "callbacks",
        "show",
        "--client",
        &client_id,
        &callback_id,
    ]));
    assert!(output.status.success(), "{}", stderr(&output));
    let shown = json(&output);
    assert_eq!(shown["url"], "https://app.example/cb2");
    assert_eq!(shown["id"].as_u64().unwrap().to_string(), callback_id);

    let output = run(fake.command(&owner).args([
        "callbacks",
        "delete",
        "--client",
        &client_id,
        &callback_id,
    ]));
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("deleted callback URL"));
    let output =
        run(fake
            .command(&owner)
            .args(["--json", "callbacks", "list", "--client", &client_id]));
    assert_eq!(json(&output), serde_json::json!([]));

    // The old name still works.
    let output = run(fake.command(&owner).args([
        "--json",
        "callbacks",
        "add",
        "--client",
        &client_id,
        "https://app.example/cb3",
    ]));
    let callback_id = json(&output)["id"].as_u64().unwrap().to_string();
    let output = run(fake.command(&owner).args([
        "callbacks",
        "remove",
        "--client",
        &client_id,
        &callback_id,
    ]));
    assert!(output.status.success(), "{}", stderr(&output));
    let output =
        run(fake
            .command(&owner)
            .args(["callbacks", "show", "--client", &client_id, &callback_id]));
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));

    // A URL that is not https (http only on loopback) is refused before
    // anything is sent: bunq never sees it.
    for bad in ["not a url", "http://app.example/cb", "ftp://app.example/cb"] {
        let output =
            run(fake
                .command(&owner)
                .args(["callbacks", "add", "--client", &client_id, bad]));
        assert!(!output.status.success(), "{bad}");
        // The local check's words, not an answer from bunq.
        assert!(
            stderr(&output).contains("http only on loopback"),
            "{bad}: {}",
            stderr(&output)
        );
    }
    let output =
        run(fake
            .command(&owner)
            .args(["--json", "callbacks", "list", "--client", &client_id]));
    assert_eq!(
        json(&output),
        serde_json::json!([]),
        "nothing was registered"
    );

    let output = run(fake
        .command(&owner)
        .args(["clients", "update", &client_id, "--status", "PAUSED"]));
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));

    // authorize: listens on loopback; this test plays the browser.
    let user = dir.path().join("user.json");
    let mut child = fake
        .command(&owner)
        .args([
            "--json",
            "authorize",
            "--port",
            "0",
            "--timeout",
            "30",
            "--save",
        ])
        .arg(&user)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read stderr to its end on another thread (the QR code follows the URL).
    let (sender, receiver) = std::sync::mpsc::channel();
    let stderr_pipe = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stderr_pipe).lines().map_while(Result::ok) {
            if line.starts_with("http://") && line.contains("/oauth/auth?") {
                let _ = sender.send(line.clone());
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    let authorize_url = receiver
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("the authorize URL is printed");
    // The listener cannot be hijacked by another local process: a silent
    // connection blocks nothing, and a forged denial, a wrong state or
    // another Host is answered and ignored.
    let port = listener_port(&authorize_url);
    let silent = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let own = format!("127.0.0.1:{port}");
    assert_eq!(
        raw_get(port, &own, "/callback?error=access_denied&state=forged"),
        400
    );
    assert_eq!(raw_get(port, &own, "/callback?error=access_denied"), 400);
    assert_eq!(raw_get(port, &own, "/callback?code=c&state=forged"), 400);
    assert_eq!(
        raw_get(port, "evil.example", "/callback?code=c&state=x"),
        421
    );
    assert_eq!(raw_get(port, &own, "/favicon.ico"), 404);
    let status = reqwest::blocking_get(&authorize_url);
    drop(silent);
    assert!(status.is_ok(), "{status:?}");
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", stdout(&output));
    let connected = json(&output);
    assert_eq!(connected["type"], "UserApiKey");
    assert!(user.exists());
    // The listener's loopback callback URL was registered for the flow only.
    let said = reader.join().unwrap();
    assert!(
        said.contains("removed the temporary callback URL"),
        "{said}"
    );
    let output = run(fake.command(&owner).args(["--json", "clients", "list"]));
    for client in json(&output).as_array().unwrap() {
        for url in client["callback_urls"].as_array().unwrap() {
            assert!(
                !url["url"].as_str().unwrap().contains(&format!(":{port}/")),
                "{url}"
            );
        }
    }

    let output = run(fake.command(&user).args(["--json", "whoami"]));
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(json(&output)["type"], "UserApiKey");
    let output = run(fake.command(&user).args(["--json", "accounts"]));
    assert!(output.status.success(), "{}", stderr(&output));
    let accounts = json(&output);
    assert!(
        accounts.as_array().is_some_and(|a| !a.is_empty()),
        "{accounts}"
    );
    assert!(
        accounts[0]["iban"]
            .as_str()
            .is_some_and(|i| i.starts_with("NL")),
        "{accounts}"
    );
}

#[test]
fn a_missing_context_is_a_clear_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(bin()
        .args(["--api-url", "http://127.0.0.1:9/v1", "--context"])
        .arg(dir.path().join("none.json"))
        .arg("whoami"));
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("bunq-oauth init"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn plain_http_to_a_remote_host_is_refused() {
    let output = run(bin().args(["--api-url", "http://api.bunq.com/v1", "clients", "list"]));
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("plain http"),
        "{}",
        stderr(&output)
    );
}

/// The port of the loopback listener, from the authorize URL's redirect_uri.
fn listener_port(authorize_url: &str) -> u16 {
    let url = url::Url::parse(authorize_url).unwrap();
    let redirect = url
        .query_pairs()
        .find(|(k, _)| k == "redirect_uri")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    url::Url::parse(&redirect).unwrap().port().unwrap()
}

/// One GET with a chosen Host header, as any local process could send it;
/// returns the status.
fn raw_get(port: u16, host: &str, target: &str) -> u16 {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {answer:?}"))
}

/// A tiny blocking GET that follows redirects, standing in for a browser.
mod reqwest {
    pub fn blocking_get(url: &str) -> Result<u16, String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        runtime.block_on(async {
            let response = ::reqwest::get(url).await.map_err(|e| format!("{e:?}"))?;
            Ok(response.status().as_u16())
        })
    }
}

#[test]
fn every_subcommand_runs_with_an_in_process_fake() {
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("owner.json");
    let output = run(bin()
        .args(["--fake", "--json", "init", "--context"])
        .arg(&saved));
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(saved.exists());

    let output = run(bin().args(["--fake", "--json", "whoami"]));
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(json(&output)["type"], "UserPerson");

    let output = run(bin().args(["--fake", "--json", "accounts"]));
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(json(&output).is_array());

    let output = run(bin().args(["--fake", "--json", "callbacks", "list", "--client", "1"]));
    assert_eq!(
        output.status.code(),
        Some(1),
        "no such client: {}",
        stderr(&output)
    );

    let user = dir.path().join("user.json");
    let output = run(bin()
        .args([
            "--fake",
            "--json",
            "authorize",
            "--port",
            "0",
            "--timeout",
            "20",
            "--save",
        ])
        .arg(&user));
    assert!(output.status.success(), "{}", stderr(&output));
    let connected = json(&output);
    assert_eq!(connected["type"], "UserApiKey");
    assert!(
        connected["granted_by_user"]["id"].as_u64().is_some(),
        "{connected}"
    );
    assert!(user.exists());
}

#[test]
fn debug_logging_shows_one_line_per_request_without_colour_or_secrets() {
    let output = run(bin()
        .args(["--fake", "clients", "list"])
        .env("BUNQ_OAUTH_LOG", "debug"));
    assert!(output.status.success(), "{}", stderr(&output));
    let log = stderr(&output);
    let requests: Vec<&str> = log.lines().filter(|l| l.contains("bunq request")).collect();
    // installation, device-server, session-server, then the list.
    assert_eq!(requests.len(), 4, "{log}");
    for line in &requests {
        assert!(
            line.contains("status=200") && line.contains("ms="),
            "{line}"
        );
        assert!(line.contains("response_id="), "{line}");
    }
    assert!(requests[3].contains("method=GET") && requests[3].contains("/oauth-client"));
    assert!(
        !log.contains('\u{1b}'),
        "colour codes off a terminal: {log:?}"
    );
    // The fake's API keys and tokens never reach the log.
    assert!(!log.contains("sandbox_"), "{log}");
}

#[test]
fn sign_all_is_a_flag_and_an_environment_variable() {
    let output = run(bin().args(["--fake", "--sign-all", "clients", "list"]));
    assert!(output.status.success(), "{}", stderr(&output));
    let output = run(bin()
        .args(["--fake", "clients", "list"])
        .env("BUNQ_OAUTH_SIGN_ALL", "true"));
    assert!(output.status.success(), "{}", stderr(&output));
    let output = run(bin()
        .args(["--fake", "clients", "list"])
        .env("BUNQ_OAUTH_SIGN_ALL", "maybe"));
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
}

#[test]
fn proxy_variables_never_carry_loopback_traffic() {
    // A "proxy" that counts the connections it gets.
    let proxy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://{}", proxy.local_addr().unwrap());
    proxy.set_nonblocking(true).unwrap();
    let output = run(bin()
        .arg("demo")
        .env("HTTP_PROXY", &address)
        .env("http_proxy", &address)
        .env("HTTPS_PROXY", &address)
        .env("ALL_PROXY", &address));
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        proxy.accept().is_err(),
        "the demo's API keys and tokens went through the proxy"
    );
}

#[test]
fn operations_prints_the_generated_coverage_table() {
    let output = run(bin().arg("operations"));
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains("api().payments(monetary_account_id).create(body)"),
        "{text}"
    );
    assert!(
        stderr(&output).contains("56 operations generated"),
        "{}",
        stderr(&output)
    );

    let output = run(bin().args(["--json", "operations"]));
    let rows = json(&output);
    let rows = rows.as_array().expect("an array");
    assert_eq!(rows.len(), 56);
    let session = rows
        .iter()
        .find(|r| r["operation_id"] == "CREATE_SessionServer")
        .expect("the handshake is generated too");
    assert_eq!(session["shape"], "MultiItem");
    assert_eq!(session["returns"], "Vec<SessionServerItem>");
}

/// Payments, draft-payments, requests and cards against `bunq-oauth fake`,
/// as the app owner (whose API key may pay anyone; an OAuth connection may
/// not, see the library's tests/grant.rs).
#[test]
fn money_commands_ask_before_moving_money() {
    let fake = FakeProcess::start();
    let dir = tempfile::tempdir().unwrap();
    let owner = dir.path().join("owner.json");
    let output = run(fake.command(&owner).args(["--json", "init"]));
    assert!(output.status.success(), "{}", stderr(&output));
    let account = "2083650";
    let pay = [
        "payments",
        "create",
        "--account",
        account,
        "--amount",
        "12.50",
        "--to",
        "NL91ABNA0417164300",
        "--name",
        "Landlord",
        "--description",
        "Rent share",
    ];
    let list = |fake: &FakeProcess| {
        let output =
            run(fake
                .command(&owner)
                .args(["--json", "payments", "list", "--account", account]));
        assert!(output.status.success(), "{}", stderr(&output));
        json(&output).as_array().unwrap().clone()
    };
    // The account's history: a card payment as bunq sends it (a geolocation
    // in fractions where bunq's spec says integer, a null list) lists, as a
    // table and as JSON; the transfers below are the rest.
    let history = list(&fake);
    assert_eq!(history.len(), 1, "{history:?}");
    assert_eq!(history[0]["description"], "Coffee Corner Amsterdam NL");
    let table = run(fake
        .command(&owner)
        .args(["payments", "list", "--account", account]));
    assert!(table.status.success(), "{}", stderr(&table));
    assert!(
        stdout(&table).contains("Coffee Corner"),
        "{}",
        stdout(&table)
    );
    let list = |fake: &FakeProcess| {
        let mut payments = list(fake);
        payments.retain(|p| p["description"] != "Coffee Corner Amsterdam NL");
        payments
    };

    // No terminal to ask on and no --yes: nothing is sent.
    let output = run(fake.command(&owner).args(pay));
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("--yes"), "{}", stderr(&output));
    // Production refuses before anything else without --yes.
    let output = run(fake.command(&owner).arg("--production").args(pay));
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("real money"),
        "{}",
        stderr(&output)
    );
    // Bad input is refused before sending.
    for (flag, value) in [
        ("--amount", "1.234"),
        ("--amount", "0"),
        ("--currency", "euro"),
    ] {
        let mut args: Vec<&str> = pay.to_vec();
        args.extend([flag, value, "--yes"]);
        let output = run(fake.command(&owner).args(&args));
        assert_eq!(
            output.status.code(),
            Some(2),
            "{flag} {value}: {}",
            stderr(&output)
        );
    }
    let long = "x".repeat(141);
    let mut args: Vec<&str> = pay.to_vec();
    args.extend(["--description", &long, "--yes"]);
    assert_eq!(run(fake.command(&owner).args(&args)).status.code(), Some(2));
    assert!(list(&fake).is_empty(), "nothing was paid");

    let output = run(fake.command(&owner).args(["--json"]).args(pay).arg("--yes"));
    assert!(output.status.success(), "{}", stderr(&output));
    let id = json(&output)["id"].as_i64().unwrap();
    let payments = list(&fake);
    assert_eq!(payments.len(), 1);
    assert_eq!(payments[0]["amount"]["value"], "-12.50", "as bunq sends it");
    let output =
        run(fake
            .command(&owner)
            .args(["payments", "show", "--account", account, &id.to_string()]));
    assert!(
        stdout(&output).contains("-12.50 EUR"),
        "{}",
        stdout(&output)
    );

    // A draft-payment waits for the user.
    let mut draft: Vec<&str> = pay.to_vec();
    draft[0] = "draft-payments";
    let output = run(fake.command(&owner).arg("--json").args(&draft).arg("--yes"));
    assert!(output.status.success(), "{}", stderr(&output));
    let draft_id = json(&output)["id"].as_i64().unwrap().to_string();
    let output = run(fake.command(&owner).args([
        "--json",
        "draft-payments",
        "show",
        "--account",
        account,
        &draft_id,
    ]));
    assert_eq!(json(&output)["status"], "PENDING", "{}", stderr(&output));

    // A request, then the list; cards list as a table.
    let output = run(fake.command(&owner).args([
        "requests",
        "create",
        "--account",
        account,
        "--amount",
        "5",
        "--email",
        "friend@example.com",
        "--description",
        "Lunch",
    ]));
    assert!(output.status.success(), "{}", stderr(&output));
    let output = run(fake
        .command(&owner)
        .args(["requests", "list", "--account", account]));
    assert!(stdout(&output).contains("PENDING"), "{}", stdout(&output));
    assert!(stdout(&output).contains("5 EUR"), "{}", stdout(&output));
    let output = run(fake.command(&owner).args(["cards", "list"]));
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).starts_with("ID"), "{}", stdout(&output));
}

/// The config directory holds credentials: one others can write to is
/// refused before anything is read from it or written to it.
#[cfg(unix)]
#[test]
fn a_config_directory_others_can_write_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    std::fs::create_dir(&config).unwrap();
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o777)).unwrap();
    let output = run(bin()
        .env("BUNQ_OAUTH_CONFIG_DIR", &config)
        .args(["clients", "list"]));
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("can be written by others"),
        "{}",
        stderr(&output)
    );
    // Private again: the directory is accepted (there is just no context yet).
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o700)).unwrap();
    let output = run(bin()
        .env("BUNQ_OAUTH_CONFIG_DIR", &config)
        .args(["clients", "list"]));
    assert!(!stderr(&output).contains("can be written by others"));
}

#[test]
fn a_provider_makes_a_pseudo_certificate_and_registers_with_it() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let certificate = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    let context = dir.path().join("provider.json");
    let made = run(bin()
        .args(["psd2", "certificate", "--name", "Test App", "--certificate"])
        .arg(&certificate)
        .arg("--key")
        .arg(&key));
    assert!(made.status.success(), "{}", stderr(&made));
    assert!(
        stdout(&made).contains("C=NL,CN=Test App PISP AISP"),
        "{}",
        stdout(&made)
    );
    for file in [&certificate, &key] {
        let mode = std::fs::metadata(file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", file.display());
    }

    let registered = run(bin()
        .args(["--fake", "--json", "psd2", "register", "--certificate"])
        .arg(&certificate)
        .arg("--key")
        .arg(&key)
        .arg("--context")
        .arg(&context));
    assert!(registered.status.success(), "{}", stderr(&registered));
    let answer = json(&registered);
    assert_eq!(answer["user_type"], "UserPaymentServiceProvider");
    assert_eq!(answer["credential_status"], "PENDING_FIRST_USE");
    let mode = std::fs::metadata(&context).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    // No secret of the certificate's key reaches the output.
    assert!(!stdout(&registered).contains("PRIVATE KEY"));

    // Production refuses a pseudo certificate before anything is sent.
    let refused = run(bin()
        .args(["--production", "psd2", "register", "--certificate"])
        .arg(&certificate)
        .arg("--key")
        .arg(&key)
        .arg("--context")
        .arg(dir.path().join("prod.json")));
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("sandbox only"),
        "{}",
        stderr(&refused)
    );

    // A key that is not the certificate's: a configuration error, exit 3.
    let other = dir.path().join("other-key.pem");
    let made = run(bin()
        .args(["psd2", "certificate", "--certificate"])
        .arg(dir.path().join("other.pem"))
        .arg("--key")
        .arg(&other));
    assert!(made.status.success());
    let mismatch = run(bin()
        .args(["--fake", "psd2", "register", "--certificate"])
        .arg(&certificate)
        .arg("--key")
        .arg(&other)
        .arg("--context")
        .arg(dir.path().join("x.json")));
    assert_eq!(mismatch.status.code(), Some(3), "{}", stderr(&mismatch));
    assert!(stderr(&mismatch).contains("does not belong to the certificate"));
}

#[test]
fn a_sandbox_user_in_one_command_then_money_from_the_sugar_daddy() {
    let fake = FakeProcess::start();
    let dir = tempfile::tempdir().unwrap();
    let context = dir.path().join("sandbox.json");

    let created = run(fake.command(&context).env_remove("BUNQ_API_KEY").args([
        "--json",
        "sandbox",
        "user",
        "--company",
    ]));
    assert!(created.status.success(), "{}", stderr(&created));
    let answer = json(&created);
    assert_eq!(answer["user_type"], "UserCompany");
    // The key is saved in the 0600 context, printed masked.
    let shown = answer["api_key"].as_str().unwrap();
    assert!(shown.contains("masked"), "{shown}");
    let saved = std::fs::read_to_string(&context).unwrap();
    assert!(saved.contains("sandbox_"));
    assert!(!saved.contains(shown));

    let accounts = run(fake.command(&context).args(["--json", "accounts"]));
    assert!(accounts.status.success(), "{}", stderr(&accounts));
    let account = json(&accounts)[0]["id"].as_u64().unwrap().to_string();

    let funded = run(fake.command(&context).args([
        "--json",
        "sandbox",
        "fund",
        "--account",
        &account,
        "--amount",
        "250",
    ]));
    assert!(funded.status.success(), "{}", stderr(&funded));
    assert_eq!(json(&funded)["amount"], "250");
    let accounts = run(fake.command(&context).args(["--json", "accounts"]));
    assert_eq!(json(&accounts)[0]["balance"]["value"], "250.00");

    // Over 500 EUR: refused locally (exit 3), the balance unchanged.
    let refused = run(fake.command(&context).args([
        "sandbox",
        "fund",
        "--account",
        &account,
        "--amount",
        "500.01",
    ]));
    assert_eq!(refused.status.code(), Some(3), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("500"), "{}", stderr(&refused));
    let accounts = run(fake.command(&context).args(["--json", "accounts"]));
    assert_eq!(json(&accounts)[0]["balance"]["value"], "250.00");

    // A second user is not saved over the first unless asked: exit 2
    // before anything is sent (the API URL here answers nothing, which
    // would be exit 4); init and authorize --save refuse the same way.
    let before = std::fs::read(&context).unwrap();
    let save_here = ["authorize", "--save", context.to_str().unwrap()];
    for command in [&["sandbox", "user"][..], &["init"][..], &save_here[..]] {
        let refused = run(bin()
            .args(["--api-url", "http://127.0.0.1:9/v1", "--context"])
            .arg(&context)
            .args(command));
        assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
        assert!(
            stderr(&refused).contains("--replace"),
            "{}",
            stderr(&refused)
        );
    }
    assert_eq!(std::fs::read(&context).unwrap(), before);
    let replaced = run(fake
        .command(&context)
        .args(["--json", "sandbox", "user", "--replace"]));
    assert!(replaced.status.success(), "{}", stderr(&replaced));
    assert_eq!(json(&replaced)["user_type"], "UserPerson");
    assert_ne!(std::fs::read(&context).unwrap(), before);

    // Production has no sandbox: refused before anything is sent (exit 2).
    let production = run(bin()
        .args(["--production", "sandbox", "user", "--context"])
        .arg(dir.path().join("prod.json")));
    assert_eq!(production.status.code(), Some(2), "{}", stderr(&production));
    assert!(!dir.path().join("prod.json").exists());
}

#[test]
fn notifications_set_list_clear_and_listen_across_processes() {
    let fake = FakeProcess::start();
    let dir = tempfile::tempdir().unwrap();
    let owner = dir.path().join("owner.json");
    let init = run(fake.command(&owner).arg("init"));
    assert!(init.status.success(), "{}", stderr(&init));

    let set = run(fake.command(&owner).args([
        "--json",
        "notifications",
        "set",
        "--category",
        "MUTATION",
        "--category",
        "PAYMENT",
        "--url",
        "https://app.example/bunq",
    ]));
    assert!(set.status.success(), "{}", stderr(&set));
    assert_eq!(json(&set).as_array().unwrap().len(), 2);
    // Not https: refused before anything is sent (exit 3).
    let refused = run(fake.command(&owner).args([
        "notifications",
        "set",
        "--category",
        "MUTATION",
        "--url",
        "http://app.example/bunq",
    ]));
    assert_eq!(refused.status.code(), Some(3), "{}", stderr(&refused));
    let clear = run(fake.command(&owner).args(["notifications", "clear"]));
    assert!(clear.status.success(), "{}", stderr(&clear));
    let list = run(fake
        .command(&owner)
        .args(["--json", "notifications", "list"]));
    assert_eq!(json(&list), serde_json::json!([]));

    // listen in one process, a payment from another: the event is printed,
    // and the listener's filters are gone after it stops.
    let mut listener = fake
        .command(&owner)
        .args([
            "--json",
            "notifications",
            "listen",
            "--port",
            "0",
            "--count",
            "1",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut errors = BufReader::new(listener.stderr.take().unwrap());
    let mut line = String::new();
    while !line.contains("listening on") {
        line.clear();
        assert!(errors.read_line(&mut line).unwrap() > 0, "listen stopped");
    }
    let accounts = run(fake.command(&owner).args(["--json", "accounts"]));
    let account = json(&accounts)[0]["id"].as_u64().unwrap().to_string();
    let paid = run(fake.command(&owner).args([
        "payments",
        "create",
        "--account",
        &account,
        "--amount",
        "1.50",
        "--to",
        "NL91ABNA0417164300",
        "--name",
        "Shop",
        "--yes",
    ]));
    assert!(paid.status.success(), "{}", stderr(&paid));
    let printed = listener.wait_with_output().unwrap();
    assert!(printed.status.success());
    let event: serde_json::Value =
        serde_json::from_str(stdout(&printed).lines().next().unwrap()).unwrap();
    assert_eq!(event["category"], "MUTATION");
    assert_eq!(event["event_type"], "MUTATION_CREATED");
    assert_eq!(event["kind"], "Payment");
    let list = run(fake
        .command(&owner)
        .args(["--json", "notifications", "list"]));
    assert_eq!(json(&list), serde_json::json!([]));
}
