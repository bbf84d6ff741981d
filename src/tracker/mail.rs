//! The `mail` tracker: a bug is an e-mail to a list or to a tracker's mail gateway, over
//! SMTP (`smtp = "host:port"`: STARTTLS required except to loopback, `user` + the token
//! as credentials when set) or the local `sendmail`. A comment is a reply (`In-Reply-To`
//! the bug's Message-ID), so mail clients and gateways thread it under the bug. Mail
//! cannot be searched: dedupe is sheriff's own record of what it sent. The same transport
//! sends the shift report (`sheriff handoff --mail`).

use async_trait::async_trait;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSendmailTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::{Bug, Fingerprint, IssueRef, IssueState, Token, Tracker, TrackerError};
use crate::config::TrackerSpec;

#[derive(Debug)]
pub struct Mail {
    to: String,
    from: String,
    transport: Transport,
}

#[derive(Debug)]
enum Transport {
    Smtp {
        host: String,
        port: u16,
        credentials: Option<(String, Token)>,
        timeout: std::time::Duration,
    },
    Sendmail,
}

impl Mail {
    pub fn new(spec: &TrackerSpec) -> Result<Mail, TrackerError> {
        let setup = |m: String| TrackerError::Setup(format!("mail: {m}"));
        let to = spec
            .to
            .clone()
            .ok_or_else(|| setup("to = \"list@example.org\" is missing in [tracker]".into()))?;
        let from = spec.from.clone().ok_or_else(|| {
            setup("from = \"sheriff@example.org\" is missing in [tracker]".into())
        })?;
        for (key, address) in [("to", &to), ("from", &from)] {
            address
                .parse::<lettre::message::Mailbox>()
                .map_err(|e| setup(format!("{key} = \"{address}\" is not an address: {e}")))?;
        }
        let transport = match &spec.smtp {
            None => Transport::Sendmail,
            Some(relay) => {
                let (host, port) = relay
                    .rsplit_once(':')
                    .map_or((relay.as_str(), "25"), |(h, p)| (h, p));
                let port = port
                    .parse()
                    .map_err(|_| setup(format!("smtp = \"{relay}\" is not host:port")))?;
                let credentials = match (spec.user.clone(), Token::from_spec(spec)?) {
                    (Some(user), Some(token)) => Some((user, token)),
                    _ => None,
                };
                Transport::Smtp {
                    host: host.to_string(),
                    port,
                    credentials,
                    timeout: spec.timeout.unwrap_or(super::http::TIMEOUT),
                }
            }
        };
        Ok(Mail {
            to,
            from,
            transport,
        })
    }

    fn error(&self, e: impl std::fmt::Display, permanent: bool, timeout: bool) -> TrackerError {
        let message = e.to_string();
        if timeout {
            TrackerError::Timeout(self.relay())
        } else if permanent {
            TrackerError::Rejected {
                tracker: "mail".into(),
                status: 550,
                message,
            }
        } else {
            TrackerError::Offline(format!("{} ({message})", self.relay()))
        }
    }

    fn relay(&self) -> String {
        match &self.transport {
            Transport::Smtp { host, port, .. } => format!("{host}:{port}"),
            Transport::Sendmail => "sendmail".into(),
        }
    }

    /// Sends one message; `reply_to` threads it under an earlier one.
    pub async fn send(
        &self,
        subject: &str,
        body: &str,
        id: &str,
        reply_to: Option<&str>,
    ) -> Result<(), TrackerError> {
        let mut builder = Message::builder()
            .from(self.from.parse().map_err(|e| self.error(e, true, false))?)
            .to(self.to.parse().map_err(|e| self.error(e, true, false))?)
            .subject(subject)
            .message_id(Some(id.to_string()))
            .header(ContentType::TEXT_PLAIN);
        if let Some(parent) = reply_to {
            builder = builder
                .in_reply_to(parent.to_string())
                .references(parent.to_string());
        }
        let message = builder
            .body(body.to_string())
            .map_err(|e| self.error(e, true, false))?;
        match &self.transport {
            Transport::Smtp {
                host,
                port,
                credentials,
                timeout,
            } => {
                let loopback = host == "localhost"
                    || host
                        .parse::<std::net::IpAddr>()
                        .is_ok_and(|ip| ip.is_loopback());
                let mut relay = if loopback {
                    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host.as_str())
                } else {
                    AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)
                        .map_err(|e| self.error(e, true, false))?
                };
                relay = relay.port(*port).timeout(Some(*timeout));
                if let Some((user, token)) = credentials {
                    relay = relay
                        .credentials(Credentials::new(user.clone(), token.expose().to_string()));
                }
                relay.build().send(message).await.map(|_| ()).map_err(|e| {
                    let (permanent, timeout) = (e.is_permanent(), e.is_timeout());
                    self.error(e, permanent, timeout)
                })
            }
            Transport::Sendmail => AsyncSendmailTransport::<Tokio1Executor>::new()
                .send(message)
                .await
                .map_err(|e| self.error(e, false, false)),
        }
    }
}

/// `<sheriff-FP-TIME@sheriff>`: unique per message, the fingerprint readable in it.
fn message_id(fingerprint: &Fingerprint) -> String {
    format!(
        "<{fingerprint}.{}.{:08x}@sheriff>",
        chrono::Utc::now().format("%Y%m%d%H%M%S"),
        rand::random::<u32>()
    )
}

#[async_trait]
impl Tracker for Mail {
    fn name(&self) -> &'static str {
        "mail"
    }

    async fn verify(&self) -> Result<String, TrackerError> {
        match &self.transport {
            Transport::Smtp { host, port, .. } => {
                let addr = format!("{host}:{port}");
                tokio::time::timeout(super::http::TIMEOUT, tokio::net::TcpStream::connect(&addr))
                    .await
                    .map_err(|_| TrackerError::Timeout(addr.clone()))?
                    .map_err(|e| TrackerError::Offline(format!("{addr} ({e})")))?;
                Ok(format!(
                    "{addr} takes connections; bugs go to {} from {}",
                    self.to, self.from
                ))
            }
            Transport::Sendmail => Ok(format!("bugs go to {} through the local sendmail", self.to)),
        }
    }

    async fn create(&self, bug: &Bug) -> Result<IssueRef, TrackerError> {
        let id = message_id(&bug.fingerprint);
        let mut body = bug.body.clone();
        if !bug.labels.is_empty() {
            body = format!("Labels: {}\n\n{body}", bug.labels.join(", "));
        }
        self.send(&format!("[sheriff] {}", bug.title), &body, &id, None)
            .await?;
        Ok(IssueRef {
            id,
            url: format!("mailto:{}", self.to),
        })
    }

    async fn comment(&self, issue: &IssueRef, body: &str) -> Result<(), TrackerError> {
        let fingerprint =
            Fingerprint::find_in(body).unwrap_or_else(|| Fingerprint::of(&issue.id, "", ""));
        let subject = format!(
            "Re: [sheriff] {}",
            body.lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("seen again")
        );
        self.send(&subject, body, &message_id(&fingerprint), Some(&issue.id))
            .await
    }

    async fn find_open(&self, _: &Fingerprint) -> Result<Option<IssueRef>, TrackerError> {
        Ok(None)
    }

    async fn state(&self, _: &IssueRef) -> Result<Option<IssueState>, TrackerError> {
        Ok(None)
    }
}
