//! A real nginx in front of several back ends, routing by class code as the README's
//! "Beyond one machine" describes: `?class=CODE`, else the `kx_class` cookie the back end sets on
//! join, else the first back end. It runs in the foreground as this test's child on its own
//! prefix (configuration, logs, pid and temporary files in a temporary directory) and is killed
//! when dropped.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use super::{WAIT, free_port};

/// Where Debian's package puts the binary (scripts/test installs it).
pub const NGINX: &str = "/usr/sbin/nginx";

/// Set by the test command, which installs nginx: there a missing nginx is a failure.
pub const IN_TEST_COMMAND: &str = "KARACRIX_TEST_COMMAND";

/// True if nginx can run here. Outside the test command a missing nginx skips the test with
/// `why` (printed); inside it, it fails the test.
pub fn available(why: &str) -> bool {
    if Path::new(NGINX).is_file() {
        return true;
    }
    assert!(
        std::env::var_os(IN_TEST_COMMAND).is_none(),
        "{NGINX} is missing although the test command installs it"
    );
    eprintln!("skipped: {why} needs nginx ({NGINX}); scripts/test installs it");
    false
}

/// The configuration: `routes` are (class code, back end port); the first is the default.
pub fn config(dir: &Path, port: u16, routes: &[(&str, u16)]) -> String {
    let dir = dir.display();
    let upstreams: String = routes
        .iter()
        .map(|(class, backend)| {
            format!("    upstream class_{class} {{ server 127.0.0.1:{backend}; }}\n")
        })
        .collect();
    let choices: String = routes
        .iter()
        .map(|(class, _)| format!("        {class} class_{class};\n"))
        .collect();
    let default = routes.first().map(|(class, _)| *class).unwrap_or("none");
    format!(
        r#"daemon off;
# One process, the test's child: killing it leaves no worker behind.
master_process off;
pid {dir}/nginx.pid;
error_log {dir}/error.log info;
events {{ worker_connections 128; }}
http {{
    access_log off;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
{upstreams}
    # The class code: from the query, else from the cookie set on join.
    map $arg_class $class_code {{
        ""      $cookie_kx_class;
        default $arg_class;
    }}
    map $class_code $class_backend {{
        default class_{default};
{choices}    }}
    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ""      close;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://$class_backend;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_read_timeout 1h;
        }}
    }}
}}
"#
    )
}

/// A running nginx; killed when dropped.
pub struct Nginx {
    child: Child,
    pub port: u16,
    dir: tempfile::TempDir,
}

impl Nginx {
    /// Starts nginx routing to `routes` (see [`config`]) and waits until it accepts connections.
    pub fn start(routes: &[(&str, u16)]) -> Nginx {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let conf = dir.path().join("nginx.conf");
        std::fs::write(&conf, config(dir.path(), port, routes)).unwrap();
        let error_log = dir.path().join("error.log");
        let child = Command::new(NGINX)
            .arg("-p")
            .arg(dir.path())
            .arg("-e")
            .arg(&error_log)
            .arg("-c")
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("stderr.log")).unwrap())
            .spawn()
            .expect("nginx starts");
        let mut nginx = Nginx { child, port, dir };
        nginx.wait_until_listening();
        nginx
    }

    /// Polls the port until nginx accepts; fails with its log if it exits or takes too long.
    fn wait_until_listening(&mut self) {
        let started = Instant::now();
        loop {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("nginx exited with {status}:\n{}", self.log());
            }
            assert!(
                started.elapsed() < WAIT,
                "nginx did not listen within {WAIT:?}:\n{}",
                self.log()
            );
            std::thread::yield_now();
        }
    }

    /// The error log, for failure messages.
    pub fn log(&self) -> String {
        ["stderr.log", "error.log"]
            .map(|name| std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default())
            .join("")
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
