//! `bunq-oauth psd2`: a payment-service provider's way in, with a PSD2
//! certificate instead of an API key.

use std::path::PathBuf;

use bunq_oauth::ApiContext;
use bunq_oauth::psd2::{Psd2Certificate, SandboxCertificate};
use clap::Subcommand;
use serde_json::json;

use crate::CliError;
use crate::output::Output;
use crate::server::{ServerArgs, Target, ensure_parent, new_context_path};

#[derive(Subcommand, Debug)]
pub enum Psd2Command {
    /// Make a pseudo PSD2 certificate for bunq's sandbox: self-signed, its
    /// common name ending in the roles, valid a year; both files 0600.
    Certificate {
        /// The name before the roles in the certificate's common name.
        #[arg(long, default_value = "bunq-oauth app")]
        name: String,
        /// The PSD2 roles the common name ends with.
        #[arg(long, default_value = "PISP AISP")]
        roles: String,
        /// Where to write the certificate (PEM; it is also its own chain).
        #[arg(long, default_value = "psd2-certificate.pem", value_name = "FILE")]
        certificate: PathBuf,
        /// Where to write its private key (PKCS#8 PEM).
        #[arg(long, default_value = "psd2-key.pem", value_name = "FILE")]
        key: PathBuf,
    },
    /// Register as a payment-service provider with a PSD2 certificate and
    /// save the provider's context, as `init` does with an API key.
    Register {
        /// The certificate (PEM).
        #[arg(long, value_name = "FILE")]
        certificate: PathBuf,
        /// Its chain, intermediate and root (PEM; default: the certificate
        /// itself, as bunq's sandbox accepts for a pseudo certificate).
        #[arg(long, value_name = "FILE")]
        chain: Option<PathBuf>,
        /// The certificate's private key (PKCS#8 PEM).
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        /// The device description bunq shows.
        #[arg(long, default_value = "bunq-oauth CLI (PSD2)")]
        description: String,
        /// Replace the context already saved there.
        #[arg(long)]
        replace: bool,
    },
}

pub async fn run(
    command: Psd2Command,
    server: &ServerArgs,
    context: &Option<PathBuf>,
    out: &Output,
) -> Result<(), CliError> {
    match command {
        Psd2Command::Certificate {
            name,
            roles,
            certificate,
            key,
        } => {
            let roles: Vec<&str> = roles.split_whitespace().collect();
            let made = SandboxCertificate::generate(&name, &roles)?;
            made.save(&certificate, &key)?;
            let checked = made.to_psd2_certificate()?;
            if out.json {
                out.print_json(&json!({
                    "certificate": certificate.display().to_string(),
                    "key": key.display().to_string(),
                    "subject": checked.subject(),
                    "not_after": checked.not_after(),
                }))
            } else {
                out.line(&format!(
                    "wrote {} ({}, valid until {}) and its key {} (mode 0600)",
                    certificate.display(),
                    checked.subject(),
                    checked.not_after().format("%Y-%m-%d"),
                    key.display()
                ))
            }
        }
        Psd2Command::Register {
            certificate,
            chain,
            key,
            description,
            replace,
        } => {
            let path = new_context_path(context, replace)?;
            let read = |path: &PathBuf| {
                std::fs::read_to_string(path)
                    .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", path.display())))
            };
            let certificate_pem = read(&certificate)?;
            let chain_pem = match &chain {
                Some(chain) => read(chain)?,
                None => certificate_pem.clone(),
            };
            let checked = Psd2Certificate::from_pem(&certificate_pem, &chain_pem, &read(&key)?)?;
            if server.is_production() && checked.is_self_signed() {
                return Err(CliError::Usage(
                    "bunq production needs a QSEAL certificate from a trust service provider; \
                     a self-signed pseudo certificate is for the sandbox only"
                        .into(),
                ));
            }
            let target = Target::resolve(server).await?;
            let registration = out
                .wait(
                    "registering the provider (installation, PSD2 credential, device, session)",
                    ApiContext::create_for_psd2(&target.client, checked, &description),
                )
                .await?;
            ensure_parent(&path)?;
            registration.context.save(&path)?;
            let status = registration.credential.status.unwrap_or_default();
            if out.json {
                out.print_json(&json!({
                    "context": path.display().to_string(),
                    "user_id": registration.context.user_id().get(),
                    "user_type": registration.context.user().type_name(),
                    "credential_status": status,
                }))
            } else {
                out.line(&format!(
                    "saved the context of {} {} to {} (credential {status})",
                    registration.context.user().type_name(),
                    registration.context.user_id(),
                    path.display()
                ))
            }
        }
    }
}
