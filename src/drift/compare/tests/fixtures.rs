//! Config files as they are found on servers, in the shapes their projects document.

pub const NGINX: &str = r#"user www-data;
worker_processes auto;
pid /run/nginx.pid;
include /etc/nginx/modules-enabled/*.conf;

events {
	worker_connections 768;
	# multi_accept on;
}

http {
	sendfile on;
	tcp_nopush on;
	types_hash_max_size 2048;
	include /etc/nginx/mime.types;
	default_type application/octet-stream;

	ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3; # Dropping SSLv3, ref: POODLE
	ssl_prefer_server_ciphers on;

	access_log /var/log/nginx/access.log;
	error_log /var/log/nginx/error.log;

	gzip on;

	upstream app {
		server app1.prod.example.org:8080 max_fails=3;
		server app2.prod.example.org:8080 max_fails=3;
	}

	server {
		listen 443 ssl http2;
		server_name shop.prod.example.org;
		location / {
			proxy_pass http://app;
			proxy_set_header Host $host;
			proxy_read_timeout 60s;
		}
	}
}
"#;

pub const COMPOSE_A: &str = r#"version: "3.8"

x-defaults: &defaults
  restart: unless-stopped
  logging:
    driver: json-file
    options:
      max-size: "10m"

services:
  web:
    <<: *defaults
    image: registry.example.org/shop/web:1.42.0
    ports:
      - "443:8443"
    environment:
      WORKERS: "8"
      DATABASE_URL: postgres://shop:s3cr3t-Prod-Pw@db.internal:5432/shop
    depends_on:
      - db
  db:
    <<: *defaults
    image: postgres:16
    volumes:
      - db-data:/var/lib/postgresql/data

volumes:
  db-data: {}
"#;

/// `COMPOSE_A` with its keys in another order and another indentation style: no drift.
pub const COMPOSE_A_REORDERED: &str = r#"version: "3.8"
volumes:
  db-data: {}
x-defaults: &defaults
  logging:
    options: {max-size: "10m"}
    driver: json-file
  restart: unless-stopped
services:
  db:
    volumes: [ "db-data:/var/lib/postgresql/data" ]
    image: postgres:16
    <<: *defaults
  web:
    depends_on: [db]
    environment:
      DATABASE_URL: postgres://shop:s3cr3t-Prod-Pw@db.internal:5432/shop
      WORKERS: "8"
    ports: ["443:8443"]
    image: registry.example.org/shop/web:1.42.0
    <<: *defaults
"#;

pub const CARGO_TOML: &str = r#"[package]
name = "shop-api"
version = "1.42.0"
edition = "2021"

[dependencies]
serde = { version = "1", features = ["derive"] }
tokio = { version = "1", features = ["rt-multi-thread", "macros"] }

[profile.release]
lto = true
codegen-units = 1

[[bin]]
name = "shop-api"
path = "src/main.rs"
"#;

pub const PHP_INI: &str = r#"[PHP]
engine = On
short_open_tag = Off
precision = 14
memory_limit = 128M
error_reporting = E_ALL & ~E_DEPRECATED & ~E_STRICT
display_errors = Off
extension=mysqli
extension=pdo_mysql

[Date]
date.timezone = "Europe/Berlin"

[Session]
session.save_handler = files
session.gc_maxlifetime = 1440
"#;

pub const SYSTEMD_UNIT: &str = r#"[Unit]
Description=Shop API
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
User=shop
EnvironmentFile=/etc/shop/api.env
ExecStartPre=/usr/bin/shop-api --check-config
ExecStart=/usr/bin/shop-api --workers 8
Restart=on-failure
RestartSec=5

[Install]
WantedBy=multi-user.target
"#;

pub const DOT_ENV: &str = r#"# Shop API settings
export APP_ENV=production
APP_URL="https://shop.prod.example.org"
DB_HOST=db.internal
DB_PORT=5432
DB_USER=shop
DB_PASSWORD='Pr0d-Sup3r-S3cret!'
REDIS_URL=redis://cache.internal:6379/0
WORKERS=8 # one per core
"#;

pub const JSON_NESTED: &str = r#"{
  "service": "shop-api",
  "server": {"host": "0.0.0.0", "port": 8080, "workers": 8},
  "servers": [
    {"host": "app1.internal", "port": 8080, "tags": ["blue", "primary"]},
    {"host": "app2.internal", "port": 8080, "tags": ["green"]}
  ],
  "features": {"checkout_v2": true, "beta_banner": false},
  "limits": [[10, 20], [30, 40]]
}
"#;
