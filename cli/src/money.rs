//! `payments …`, `draft-payments …`, `requests …` and `cards list`: what an
//! OAuth grant allows, through the generated operations (`session.api()`).
//!
//! Amounts are printed exactly as bunq sends them. Anything that moves money
//! asks for confirmation first, unless `--yes`; with `--production` it
//! refuses to run without `--yes`.

use std::io::{BufRead, IsTerminal, Write};

use bunq_oauth::api::types;
use bunq_oauth::{Amount, PagedList, Session};
use clap::{Args, Subcommand};
use serde_json::json;

use crate::CliError;
use crate::output::{Columns, Output};

/// bunq's longest payment description.
const MAX_DESCRIPTION: usize = 140;

#[derive(Subcommand, Debug)]
pub enum PaymentsCommand {
    /// The latest payments of an account, newest first.
    List {
        /// The monetary account id.
        #[arg(long)]
        account: i64,
        /// How many (1 to 200).
        #[arg(long, default_value_t = 10)]
        count: u32,
    },
    /// One payment.
    Show {
        /// The monetary account id.
        #[arg(long)]
        account: i64,
        /// The payment id.
        id: i64,
    },
    /// Pay from one of the user's accounts (an OAuth connection: only to
    /// another of the user's own accounts; use a draft-payment otherwise).
    Create(TransferArgs),
}

#[derive(Subcommand, Debug)]
pub enum DraftPaymentsCommand {
    /// Ask the user to approve a payment in the bunq app.
    Create(TransferArgs),
    /// One draft-payment, with its status (PENDING until the user answers).
    Show {
        /// The monetary account id.
        #[arg(long)]
        account: i64,
        /// The draft-payment id.
        id: i64,
    },
}

#[derive(Subcommand, Debug)]
pub enum RequestsCommand {
    /// Ask someone for money (a request-inquiry).
    Create {
        /// The monetary account the money goes to.
        #[arg(long)]
        account: i64,
        /// The amount, a decimal with at most two decimals (`12.50`).
        #[arg(long)]
        amount: String,
        /// ISO 4217 currency.
        #[arg(long, default_value = "EUR")]
        currency: String,
        /// Who is asked: an email address.
        #[arg(long)]
        email: String,
        /// What it is for (at most 140 characters).
        #[arg(long, default_value = "")]
        description: String,
    },
    /// The requests of an account, newest first.
    List {
        /// The monetary account id.
        #[arg(long)]
        account: i64,
    },
}

#[derive(Subcommand, Debug)]
pub enum CardsCommand {
    /// The user's cards.
    List,
}

/// A payment to make or to ask approval for.
#[derive(Args, Debug)]
pub struct TransferArgs {
    /// The monetary account the money leaves.
    #[arg(long)]
    account: i64,
    /// The amount, a decimal with at most two decimals (`12.50`).
    #[arg(long)]
    amount: String,
    /// ISO 4217 currency.
    #[arg(long, default_value = "EUR")]
    currency: String,
    /// The IBAN the money goes to.
    #[arg(long)]
    to: String,
    /// The name on that account.
    #[arg(long)]
    name: String,
    /// What it is for (at most 140 characters).
    #[arg(long, default_value = "")]
    description: String,
    /// Do not ask for confirmation (required with --production).
    #[arg(long)]
    yes: bool,
}

impl TransferArgs {
    /// The amount, the counterparty and the description, checked before
    /// anything is sent.
    fn checked(&self) -> Result<(Amount, types::CounterpartyAlias, String), CliError> {
        let amount = checked_amount(&self.amount, &self.currency, &self.description)?;
        let alias = types::CounterpartyAlias {
            type_: Some("IBAN".into()),
            value: Some(self.to.replace(' ', "").to_uppercase()),
            name: Some(self.name.clone()),
            ..Default::default()
        };
        Ok((amount, alias, self.description.clone()))
    }
}

/// The amount, checked, and the description's length: refused before
/// anything is sent.
fn checked_amount(value: &str, currency: &str, description: &str) -> Result<Amount, CliError> {
    let amount = Amount::new(value, currency).map_err(|e| CliError::Usage(e.to_string()))?;
    if description.chars().count() > MAX_DESCRIPTION {
        return Err(CliError::Usage(format!(
            "the description is longer than bunq allows ({MAX_DESCRIPTION} characters)"
        )));
    }
    Ok(amount)
}

/// With `--production`, a command that moves money stops before anything
/// else (loading a context, connecting) unless `--yes`.
pub fn refuse_production_without_yes(
    transfer: Option<&TransferArgs>,
    production: bool,
) -> Result<(), CliError> {
    match transfer {
        Some(args) if production && !args.yes => Err(CliError::Usage(
            "this moves real money on bunq production; add --yes to do it".into(),
        )),
        _ => Ok(()),
    }
}

impl PaymentsCommand {
    /// The payment this command would make, if it makes one.
    pub fn transfer(&self) -> Option<&TransferArgs> {
        match self {
            PaymentsCommand::Create(args) => Some(args),
            _ => None,
        }
    }
}

impl DraftPaymentsCommand {
    /// The payment this command would ask approval for, if any.
    pub fn transfer(&self) -> Option<&TransferArgs> {
        match self {
            DraftPaymentsCommand::Create(args) => Some(args),
            _ => None,
        }
    }
}

/// Asks before money moves: `--yes` skips it; production needs `--yes`;
/// with no terminal to ask on, the answer is no.
fn confirm(what: &str, yes: bool, production: bool) -> Result<(), CliError> {
    if yes {
        return Ok(());
    }
    if production {
        return Err(CliError::Usage(format!(
            "{what}: this moves real money on bunq production; add --yes to do it"
        )));
    }
    if !std::io::stdin().is_terminal() {
        return Err(CliError::Usage(format!(
            "{what}: confirm with --yes (no terminal to ask on)"
        )));
    }
    eprint!("{what}? [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(CliError::Io)?;
    if matches!(answer.trim(), "y" | "Y" | "yes") {
        Ok(())
    } else {
        Err(CliError::Usage("cancelled: nothing was sent".into()))
    }
}

fn amount_text(amount: &Option<Amount>) -> String {
    amount
        .as_ref()
        .map(|a| format!("{} {}", a.value, a.currency))
        .unwrap_or_default()
}

fn text(value: &Option<String>) -> String {
    value.clone().unwrap_or_default()
}

fn label(alias: &Option<Box<types::LabelMonetaryAccount>>) -> String {
    alias
        .as_ref()
        .map(|a| {
            format!(
                "{} {}",
                a.iban.clone().unwrap_or_default(),
                a.display_name.clone().unwrap_or_default()
            )
            .trim()
            .to_owned()
        })
        .unwrap_or_default()
}

/// How payments print.
const PAYMENTS: Columns<types::PaymentRead> = Columns {
    header: &["ID", "CREATED", "AMOUNT", "COUNTERPARTY", "DESCRIPTION"],
    row: |p, _| {
        vec![
            p.id.map(|i| i.to_string()).unwrap_or_default(),
            p.created.map(|t| t.to_string()).unwrap_or_default(),
            amount_text(&p.amount),
            label(&p.counterparty_alias),
            text(&p.description),
        ]
    },
    json: |p, _| {
        json!({
            "id": p.id,
            "created": p.created.map(|t| t.to_string()),
            "amount": p.amount,
            "description": p.description,
            "counterparty": label(&p.counterparty_alias),
            "type": p.type_,
        })
    },
};

pub async fn run_payments(
    command: PaymentsCommand,
    session: &Session,
    production: bool,
    out: &Output,
) -> Result<(), CliError> {
    match command {
        PaymentsCommand::List { account, count } => {
            let page = bunq_oauth::PageRequest::new().count(count);
            let page = out
                .wait(
                    "listing payments",
                    session.api().payments(account).list_page(page),
                )
                .await?;
            out.list(&PAYMENTS, &page.items)
        }
        PaymentsCommand::Show { account, id } => {
            let payment = out
                .wait(
                    "reading the payment",
                    session.api().payments(account).get(id),
                )
                .await?;
            out.one(&PAYMENTS, &payment)
        }
        PaymentsCommand::Create(args) => {
            let (amount, alias, description) = args.checked()?;
            confirm(
                &format!(
                    "Pay {} {} from account {} to {}",
                    amount.value, amount.currency, args.account, args.to
                ),
                args.yes,
                production,
            )?;
            let body = types::Payment {
                amount: Some(amount),
                counterparty_alias: Some(alias),
                description: Some(description),
                ..Default::default()
            };
            let id = out
                .wait("paying", session.api().payments(args.account).create(&body))
                .await?;
            if out.json {
                return out.print_json(&json!({"id": id}));
            }
            out.line(&format!("payment {id} made"))
        }
    }
}

pub async fn run_draft_payments(
    command: DraftPaymentsCommand,
    session: &Session,
    production: bool,
    out: &Output,
) -> Result<(), CliError> {
    match command {
        DraftPaymentsCommand::Create(args) => {
            let (amount, alias, description) = args.checked()?;
            confirm(
                &format!(
                    "Ask the user to approve paying {} {} from account {} to {}",
                    amount.value, amount.currency, args.account, args.to
                ),
                args.yes,
                production,
            )?;
            let body = types::DraftPayment {
                entries: vec![types::DraftPaymentEntry {
                    amount: Some(amount),
                    counterparty_alias: Some(alias),
                    description: Some(description),
                    ..Default::default()
                }],
                number_of_required_accepts: 1.into(),
                previous_updated_timestamp: None,
                schedule: None,
                status: None,
            };
            let id = out
                .wait(
                    "creating the draft-payment",
                    session.api().draft_payments(args.account).create(&body),
                )
                .await?;
            if out.json {
                return out.print_json(&json!({"id": id, "status": "PENDING"}));
            }
            out.line(&format!(
                "draft-payment {id} created: the user approves or rejects it in the bunq app"
            ))
        }
        DraftPaymentsCommand::Show { account, id } => {
            let draft = out
                .wait(
                    "reading the draft-payment",
                    session.api().draft_payments(account).get(id),
                )
                .await?;
            let entries: Vec<_> = draft
                .entries
                .iter()
                .map(|e| {
                    json!({
                        "amount": e.amount,
                        "counterparty": e.counterparty_alias.as_ref().map(|a| {
                            a.value.clone().or(a.iban.clone()).unwrap_or_default()
                        }),
                        "description": e.description,
                    })
                })
                .collect();
            if out.json {
                return out.print_json(&json!({
                    "id": draft.id,
                    "status": draft.status,
                    "entries": entries,
                }));
            }
            let rows: Vec<Vec<String>> = draft
                .entries
                .iter()
                .map(|e| {
                    vec![
                        draft.id.map(|i| i.to_string()).unwrap_or_default(),
                        text(&draft.status),
                        amount_text(&e.amount),
                        e.counterparty_alias
                            .as_ref()
                            .and_then(|a| a.value.clone().or(a.iban.clone()))
                            .unwrap_or_default(),
                        text(&e.description),
                    ]
                })
                .collect();
            out.table(&["ID", "STATUS", "AMOUNT", "TO", "DESCRIPTION"], &rows)
        }
    }
}

pub async fn run_requests(
    command: RequestsCommand,
    session: &Session,
    out: &Output,
) -> Result<(), CliError> {
    match command {
        RequestsCommand::Create {
            account,
            amount,
            currency,
            email,
            description,
        } => {
            let amount = checked_amount(&amount, &currency, &description)?;
            let body = types::RequestInquiry {
                amount_inquired: Some(amount),
                counterparty_alias: Some(types::CounterpartyAlias {
                    type_: Some("EMAIL".into()),
                    value: Some(email),
                    ..Default::default()
                }),
                description: Some(description),
                ..request_defaults()
            };
            let id = out
                .wait(
                    "creating the request",
                    session.api().request_inquiries(account).create(&body),
                )
                .await?;
            if out.json {
                return out.print_json(&json!({"id": id, "status": "PENDING"}));
            }
            out.line(&format!("request {id} sent"))
        }
        RequestsCommand::List { account } => {
            let page = out
                .wait(
                    "listing requests",
                    session.api().request_inquiries(account).list(),
                )
                .await?;
            out.list(&REQUESTS, &page.items)
        }
    }
}

/// A request-inquiry body with bunq's one required flag set: no bunq.me
/// link for people without bunq.
fn request_defaults() -> types::RequestInquiry {
    types::RequestInquiry {
        address_billing: None,
        address_shipping: None,
        allow_amount_higher: None,
        allow_amount_lower: None,
        allow_bunqme: false,
        amount_inquired: None,
        amount_responded: None,
        attachment: Vec::new(),
        batch_id: None,
        bunqme_share_url: None,
        counterparty_alias: None,
        created: None,
        description: None,
        event_id: None,
        geolocation: None,
        id: None,
        merchant_reference: None,
        minimum_age: None,
        monetary_account_id: None,
        redirect_url: None,
        require_address: None,
        scheduled_id: None,
        status: None,
        time_expiry: None,
        time_responded: None,
        updated: None,
        user_alias_created: None,
        user_alias_revoked: None,
        want_tip: None,
        reference_split_the_bill: None,
    }
}

pub async fn run_cards(
    command: CardsCommand,
    session: &Session,
    out: &Output,
) -> Result<(), CliError> {
    match command {
        CardsCommand::List => {
            let page = out
                .wait("listing cards", session.api().cards().list())
                .await?;
            out.list(&CARDS, &page.items)
        }
    }
}

/// How request-inquiries print.
const REQUESTS: Columns<types::RequestInquiryListing> = Columns {
    header: &["ID", "STATUS", "AMOUNT", "DESCRIPTION"],
    row: |r, _| {
        vec![
            r.id.map(|i| i.to_string()).unwrap_or_default(),
            text(&r.status),
            amount_text(&r.amount_inquired),
            text(&r.description),
        ]
    },
    json: |r, _| {
        json!({
            "id": r.id,
            "status": r.status,
            "amount_inquired": r.amount_inquired,
            "description": r.description,
        })
    },
};

/// How cards print: chosen fields only, since a card carries secrets (PIN
/// assignments, CVC) that a listing never prints.
const CARDS: Columns<types::CardListing> = Columns {
    header: &["ID", "TYPE", "STATUS", "NAME ON CARD"],
    row: |c, _| {
        vec![
            c.id.map(|i| i.to_string()).unwrap_or_default(),
            text(&c.type_),
            text(&c.status),
            text(&c.name_on_card),
        ]
    },
    json: |c, _| {
        json!({
            "id": c.id,
            "type": c.type_,
            "status": c.status,
            "name_on_card": c.name_on_card,
            "primary_account_numbers": c.primary_account_numbers.iter().filter_map(|p| p.four_digit.clone()).collect::<Vec<_>>(),
        })
    },
};
