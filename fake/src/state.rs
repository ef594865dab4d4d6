//! The fake's data: users, installations, devices, sessions, OAuth clients,
//! callback URLs, authorization codes and access tokens, and the fixed
//! monetary accounts. Everything lives behind one mutex in
//! [`Shared`](crate::Shared); nothing here does I/O.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use tokio::time::Instant;

use crate::FakeStats;
use crate::faults::{Fault, Limiter};
use bunq_oauth::format_timestamp;
use bunq_oauth::signing::PublicKey;

/// The app owner: the user whose API key [`FakeBunq::owner_api_key`](crate::FakeBunq::owner_api_key) is.
pub(super) const OWNER_ID: u64 = 1_864_401;
/// The bunq user who approves every authorization request.
pub(super) const GRANTING_ID: u64 = 1_864_430;
/// Ids the fake hands out start here, above every fixed id.
const FIRST_ID: u64 = 5_100_001;

/// All mutable state of one fake.
#[derive(Debug)]
pub(super) struct State {
    next_id: u64,
    pub(super) users: BTreeMap<u64, UserRec>,
    /// API keys and OAuth access tokens → the user they act as.
    pub(super) secrets: HashMap<String, u64>,
    /// PSD2 credentials' tokens: each registers one device only.
    pub(super) first_use: std::collections::HashSet<String>,
    /// Installation token → installation.
    pub(super) installations: HashMap<String, InstallationRec>,
    pub(super) devices: Vec<DeviceRec>,
    /// Session token → session.
    pub(super) sessions: HashMap<String, SessionRec>,
    pub(super) oauth_clients: BTreeMap<u64, OauthClientRec>,
    /// Authorization code → what it was issued for.
    pub(super) codes: HashMap<String, CodeRec>,
    pub(super) accounts: Accounts,
    /// Cards and incoming requests, per account holder (seeded; the
    /// generated operations read and change them).
    pub(super) held: Vec<HeldRec>,
    /// The objects of the generated operations (payments, draft-payments, …).
    pub(super) objects: crate::objects::Objects,
    /// Notification filters, failed callbacks, the delivery queue.
    pub(super) notifications: crate::notify::Notifications,
    pub(super) faults: Vec<Fault>,
    /// The limits in force (from the config; the control API can change them).
    pub(super) rate_limits: Option<crate::RateLimits>,
    pub(super) limiter: Limiter,
    pub(super) stats: FakeStats,
}

/// A bunq user.
#[derive(Debug, Clone)]
pub(super) struct UserRec {
    pub(super) id: u64,
    pub(super) created: DateTime<Utc>,
    pub(super) kind: UserKind,
}

#[derive(Debug, Clone)]
pub(super) enum UserKind {
    /// `UserPerson`.
    Person {
        display_name: String,
        nick_name: String,
    },
    /// `UserCompany`: a sandbox company (`POST /sandbox-user-company`).
    Company { name: String },
    /// `UserApiKey`: one per OAuth access token.
    ApiKey { requested_by: u64, granted_by: u64 },
    /// `UserPaymentServiceProvider`: one per PSD2 registration.
    PaymentServiceProvider { distinguished_name: String },
}

#[derive(Debug)]
pub(super) struct InstallationRec {
    pub(super) id: u64,
    pub(super) client_key: PublicKey,
}

#[derive(Debug)]
pub(super) struct DeviceRec {
    pub(super) id: u64,
    pub(super) created: String,
    pub(super) description: String,
    pub(super) installation_token: String,
    pub(super) secret: String,
}

#[derive(Debug)]
pub(super) struct SessionRec {
    pub(super) user: u64,
    /// The installation the session was opened with: its client key checks
    /// request signatures.
    pub(super) installation_token: String,
    pub(super) last_used: Instant,
}

#[derive(Debug)]
pub(super) struct OauthClientRec {
    pub(super) id: u64,
    pub(super) user: u64,
    pub(super) status: &'static str,
    pub(super) client_id: String,
    pub(super) secret: String,
    pub(super) callback_urls: BTreeMap<u64, CallbackRec>,
}

#[derive(Debug)]
pub(super) struct CallbackRec {
    pub(super) id: u64,
    pub(super) created: DateTime<Utc>,
    pub(super) updated: DateTime<Utc>,
    pub(super) url: String,
}

#[derive(Debug)]
pub(super) struct CodeRec {
    /// The person who consented.
    pub(super) granted_by: u64,
    /// The numeric id of the OAuth client it was issued to.
    pub(super) oauth_client: u64,
    pub(super) redirect_uri: String,
    pub(super) state: Option<String>,
    pub(super) issued: Instant,
    pub(super) used: bool,
}

/// An object a user holds from the start: a card, or a request someone
/// made to them (`key` is the wrapper key).
#[derive(Debug)]
pub(super) struct HeldRec {
    pub(super) id: u64,
    pub(super) user: u64,
    /// For a request-response: the account it was made to.
    pub(super) account: Option<u64>,
    pub(super) key: &'static str,
    pub(super) json: Value,
}

/// The granting user's debit card (on Main) and a request a friend made to
/// them (on Main, PENDING).
fn fixed_held() -> Vec<HeldRec> {
    vec![
        HeldRec {
            id: 3_100_001,
            user: GRANTING_ID,
            account: None,
            key: "CardDebit",
            json: json!({
                "id": 3_100_001,
                "created": "2025-04-14 00:05:12.000000",
                "updated": "2025-04-14 00:05:12.000000",
                "public_uuid": "9d0c5e1a-7f36-4d0e-8c1b-2a6f5b3e4d71",
                "type": "MASTERCARD",
                "sub_type": "NONE",
                "product_type": "MASTERCARD_DEBIT",
                "status": "ACTIVE",
                "order_status": "CARD_UPDATE_SENT",
                "name_on_card": "J. WALKER",
                "expiry_date": "2029-04-30",
                "primary_account_numbers": [
                    {"id": 3_200_001, "four_digit": "4321", "status": "ACTIVE", "monetary_account_id": 2_083_712}
                ],
                "pin_code_assignment": [
                    {"type": "PRIMARY", "monetary_account_id": 2_083_712, "status": "ACTIVE"}
                ],
                "country": "NL",
            }),
        },
        HeldRec {
            id: 3_100_002,
            user: GRANTING_ID,
            account: Some(2_083_712),
            key: "RequestResponse",
            json: json!({
                "id": 3_100_002,
                "created": "2025-04-20 18:30:00.000000",
                "updated": "2025-04-20 18:30:00.000000",
                "monetary_account_id": 2_083_712,
                "amount_inquired": {"value": "15.00", "currency": "EUR"},
                "status": "PENDING",
                "description": "Dinner on Friday",
                "type": "INTERNAL",
                "sub_type": "NONE",
                "counterparty_alias": {"iban": "NL91ABNA0417164300", "display_name": "A. Friend", "country": "NL"},
                "alias": {"iban": "NL65BUNQ2090411945", "display_name": "J. Walker", "country": "NL"},
                // bunq sends null where its spec says list.
                "attachment": null,
                "allow_chat": true,
            }),
        },
    ]
}

/// A holder's past payments on their main account: one card payment,
/// shaped as bunq sends them where its spec is wrong (a geolocation with
/// fractions where the spec says integer, `null` where it says list, fields
/// its read schema lacks), as the real bodies in `tests/fixtures/wire/` show.
fn fixed_history(holder: u64) -> Vec<(u64, Value)> {
    let (id, account, iban, name, balance) = match holder {
        OWNER_ID => (
            3_000_001,
            2_083_650,
            "NL89BUNQ2090401231",
            "N. Jansen",
            "250.00",
        ),
        _ => (
            3_000_002,
            2_083_712,
            "NL65BUNQ2090411945",
            "J. Walker",
            "4118.00",
        ),
    };
    let payment = json!({
        "id": id,
        "created": "2025-04-18 12:31:07.402916",
        "updated": "2025-04-18 12:31:07.402916",
        "monetary_account_id": account,
        "amount": {"value": "-4.75", "currency": "EUR"},
        "description": "Coffee Corner Amsterdam NL",
        "type": "MASTERCARD",
        "sub_type": "PAYMENT",
        "alias": {"iban": iban, "display_name": name, "country": "NL"},
        "counterparty_alias": {"iban": null, "display_name": "Coffee Corner", "country": "NL"},
        "geolocation": {
            "latitude": 52.387862883215,
            "longitude": 4.8333778222355,
            "altitude": 0,
            "radius": 65,
        },
        "attachment": null,
        "request_reference_split_the_bill": [],
        "balance_after_mutation": {"value": balance, "currency": "EUR"},
        "status": "SETTLED",
        "maturity_date": "2025-04-18",
        "allow_chat": true,
    });
    vec![(id, payment)]
}

#[derive(Debug)]
pub(super) struct AccountRec {
    pub(super) id: u64,
    pub(super) user: u64,
    pub(super) json: Value,
}

/// Every monetary account, by id, with each holder's ids: no request scans
/// them all (a fake with thousands of users holds thousands of accounts).
#[derive(Debug, Default)]
pub(super) struct Accounts {
    by_id: BTreeMap<u64, AccountRec>,
    by_user: HashMap<u64, Vec<u64>>,
}

impl Accounts {
    pub(super) fn push(&mut self, account: AccountRec) {
        self.by_user
            .entry(account.user)
            .or_default()
            .push(account.id);
        self.by_id.insert(account.id, account);
    }

    pub(super) fn get(&self, id: u64) -> Option<&AccountRec> {
        self.by_id.get(&id)
    }

    pub(super) fn get_mut(&mut self, id: u64) -> Option<&mut AccountRec> {
        self.by_id.get_mut(&id)
    }

    /// The account `id` if `user` holds it.
    pub(super) fn held(&self, id: u64, user: u64) -> Option<&AccountRec> {
        self.get(id).filter(|a| a.user == user)
    }

    /// `user`'s accounts, oldest first.
    pub(super) fn of_user(&self, user: u64) -> impl Iterator<Item = &AccountRec> {
        self.by_user
            .get(&user)
            .into_iter()
            .flatten()
            .filter_map(|id| self.by_id.get(id))
    }
}

impl FromIterator<AccountRec> for Accounts {
    fn from_iter<I: IntoIterator<Item = AccountRec>>(accounts: I) -> Self {
        let mut all = Accounts::default();
        for account in accounts {
            all.push(account);
        }
        all
    }
}

impl State {
    pub(super) fn new(owner_api_key: &str, rate_limits: Option<crate::RateLimits>) -> Self {
        let mut state = Self::empty(owner_api_key);
        state.rate_limits = rate_limits;
        state.add_history(OWNER_ID);
        state
    }

    fn empty(owner_api_key: &str) -> Self {
        let now = Utc::now();
        let mut users = BTreeMap::new();
        for (id, display_name, nick_name) in [
            (OWNER_ID, "Noor Jansen", "Noor"),
            (GRANTING_ID, "J. Walker", "Jodi"),
        ] {
            users.insert(
                id,
                UserRec {
                    id,
                    created: now,
                    kind: UserKind::Person {
                        display_name: display_name.into(),
                        nick_name: nick_name.into(),
                    },
                },
            );
        }
        State {
            next_id: FIRST_ID,
            users,
            secrets: HashMap::from([(owner_api_key.to_owned(), OWNER_ID)]),
            first_use: Default::default(),
            installations: HashMap::new(),
            devices: Vec::new(),
            sessions: HashMap::new(),
            oauth_clients: BTreeMap::new(),
            codes: HashMap::new(),
            accounts: fixed_accounts().into_iter().collect(),
            held: fixed_held(),
            objects: crate::objects::Objects::default(),
            notifications: Default::default(),
            faults: Vec::new(),
            rate_limits: None,
            limiter: Limiter::default(),
            stats: FakeStats::default(),
        }
    }

    /// The past payments of whose accounts `user` sees, under `user`'s
    /// paths (the fake keeps objects by the path they were made at, which
    /// names the caller: the owner, or an OAuth connection's user).
    pub(super) fn add_history(&mut self, user: u64) {
        let holder = self.account_holder(user);
        // Only the fixed users have a past (persons added later have none).
        if holder != OWNER_ID && holder != GRANTING_ID {
            return;
        }
        for (id, payment) in fixed_history(holder) {
            let Value::Object(value) = payment else {
                continue;
            };
            let account = value
                .get("monetary_account_id")
                .and_then(Value::as_u64)
                .unwrap_or(0);
            self.objects.insert(
                &format!("/user/{user}/monetary-account/{account}/payment"),
                id,
                crate::objects::Stored {
                    key: "Payment".into(),
                    value,
                    answer_at: None,
                },
            );
        }
    }

    /// Opens an EUR account for `user`, holder `holder`, with `balance`
    /// (`"12.34"`); answers its id.
    pub(super) fn open_account(
        &mut self,
        user: u64,
        holder: &str,
        balance: &str,
        description: &str,
    ) -> u64 {
        let (account, access_id) = (self.next_id(), self.next_id());
        let created = bunq_oauth::format_timestamp(&Utc::now());
        let uuid = crate::random_hex(16);
        let public_uuid = format!(
            "{}-{}-{}-{}-{}",
            &uuid[..8],
            &uuid[8..12],
            &uuid[12..16],
            &uuid[16..20],
            &uuid[20..]
        );
        let iban = crate::objects::make_iban(account);
        let seed = AccountSeed {
            id: account,
            user,
            created: &created,
            updated: &created,
            iban: &iban,
            holder,
            display_name: holder,
            balance,
            description,
            public_uuid: &public_uuid,
            color: "#FF7819",
            icon: None,
            access_id,
        };
        self.accounts.push(seed.account());
        account
    }

    /// A person who can grant OAuth connections (the authorize page's
    /// `fake_user`), with a main account holding `balance` and an empty
    /// savings account; answers the person's id and the accounts' ids.
    pub(super) fn add_person(&mut self, display_name: &str, balance: &str) -> (u64, [u64; 2]) {
        let user = self.next_id();
        self.users.insert(
            user,
            UserRec {
                id: user,
                created: Utc::now(),
                kind: UserKind::Person {
                    display_name: display_name.to_owned(),
                    nick_name: display_name.to_owned(),
                },
            },
        );
        let main = self.open_account(user, display_name, balance, "Main");
        let savings = self.open_account(user, display_name, "0.00", "Savings");
        (user, [main, savings])
    }

    /// A fresh id: unique and increasing across every kind of object.
    pub(super) fn next_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// The user object as bunq wraps it: `{"UserPerson":{…}}` or
    /// `{"UserApiKey":{…}}`.
    pub(super) fn user_json(&self, id: u64, session_timeout: u64) -> Value {
        let Some(user) = self.users.get(&id) else {
            return Value::Null;
        };
        let created = format_timestamp(&user.created);
        match &user.kind {
            UserKind::Person {
                display_name,
                nick_name,
            } => json!({"UserPerson": {
                "id": user.id,
                "created": created,
                "updated": created,
                "display_name": display_name,
                "public_nick_name": nick_name,
                "status": "ACTIVE",
                "sub_status": "NONE",
                "language": "en_US",
                "region": "en_US",
                "session_timeout": session_timeout,
            }}),
            UserKind::Company { name } => json!({"UserCompany": {
                "id": user.id,
                "created": created,
                "updated": created,
                "name": name,
                "display_name": name,
                "public_nick_name": name,
                "status": "ACTIVE",
                "sub_status": "NONE",
                "language": "en_US",
                "region": "en_US",
                "session_timeout": session_timeout,
            }}),
            UserKind::ApiKey {
                requested_by,
                granted_by,
            } => json!({"UserApiKey": {
                "id": user.id,
                "created": created,
                "updated": created,
                "requested_by_user": self.user_json(*requested_by, session_timeout),
                "granted_by_user": self.user_json(*granted_by, session_timeout),
            }}),
            UserKind::PaymentServiceProvider { distinguished_name } => {
                json!({"UserPaymentServiceProvider": {
                    "id": user.id,
                    "created": created,
                    "updated": created,
                    "certificate_distinguished_name": distinguished_name,
                    "alias": [],
                    "display_name": distinguished_name,
                    "public_nick_name": distinguished_name,
                    "status": "ACTIVE",
                    "sub_status": "NONE",
                    "language": "en_US",
                    "region": "en_US",
                    "session_timeout": session_timeout,
                }})
            }
        }
    }

    /// Whose monetary accounts a user sees: a `UserApiKey` sees the granting
    /// user's, anyone else their own.
    pub(super) fn account_holder(&self, user: u64) -> u64 {
        match self.users.get(&user).map(|u| &u.kind) {
            Some(UserKind::ApiKey { granted_by, .. }) => *granted_by,
            _ => user,
        }
    }

    /// Registers a callback URL (`url` gets the new id) for an OAuth client;
    /// `None` if the client does not exist.
    pub(super) fn add_callback_url(
        &mut self,
        oauth_client: u64,
        url: impl FnOnce(u64) -> String,
    ) -> Option<u64> {
        if !self.oauth_clients.contains_key(&oauth_client) {
            return None;
        }
        let id = self.next_id();
        let url = url(id);
        let now = Utc::now();
        let client = self.oauth_clients.get_mut(&oauth_client)?;
        client.callback_urls.insert(
            id,
            CallbackRec {
                id,
                created: now,
                updated: now,
                url,
            },
        );
        self.stats.callback_urls += 1;
        Some(id)
    }
}

impl OauthClientRec {
    /// `{"OauthClient":{…}}` as in bunq's user-provisioning guide, callback URLs oldest first.
    pub(super) fn json(&self) -> Value {
        let urls: Vec<Value> = self
            .callback_urls
            .values()
            .map(CallbackRec::inner)
            .collect();
        json!({"OauthClient": {
            "id": self.id,
            "status": self.status,
            "display_name": null,
            "client_id": self.client_id,
            "secret": self.secret,
            "callback_url": urls,
        }})
    }
}

impl CallbackRec {
    fn inner(&self) -> Value {
        json!({
            "id": self.id,
            "created": format_timestamp(&self.created),
            "updated": format_timestamp(&self.updated),
            "url": self.url,
        })
    }

    /// `{"OauthCallbackUrl":{…}}`.
    pub(super) fn json(&self) -> Value {
        json!({ "OauthCallbackUrl": self.inner() })
    }
}

/// One `MonetaryAccountBank`, shaped like the one in bunq's PSD2/OAuth example.
pub(super) struct AccountSeed<'a> {
    pub(super) id: u64,
    pub(super) user: u64,
    pub(super) created: &'a str,
    pub(super) updated: &'a str,
    pub(super) iban: &'a str,
    pub(super) holder: &'a str,
    pub(super) display_name: &'a str,
    pub(super) balance: &'a str,
    pub(super) description: &'a str,
    pub(super) public_uuid: &'a str,
    pub(super) color: &'a str,
    pub(super) icon: Option<&'a str>,
    pub(super) access_id: u64,
}

/// The owner's one account and the granting user's three (the data of seed
/// 003). IBANs have valid check digits.
fn fixed_accounts() -> Vec<AccountRec> {
    let seeds = [
        AccountSeed {
            id: 2_083_650,
            user: OWNER_ID,
            created: "2025-03-02 10:15:44.120931",
            updated: "2025-03-02 10:15:44.120931",
            iban: "NL89BUNQ2090401231",
            holder: "Noor Jansen",
            display_name: "N. Jansen",
            balance: "250.00",
            description: "Main",
            public_uuid: "0c5d1e7a-3b52-4f43-9a0e-6d2f0b8a71c4",
            color: "#FF7819",
            icon: None,
            access_id: 2_268_700,
        },
        AccountSeed {
            id: 2_083_712,
            user: GRANTING_ID,
            created: "2025-04-14 00:00:00.811318",
            updated: "2025-04-14 00:00:00.811318",
            iban: "NL65BUNQ2090411945",
            holder: "Jodi Walker",
            display_name: "J. Walker",
            balance: "4118.00",
            description: "Main",
            public_uuid: "5e758d81-add9-4510-89e1-ff2bd5a04146",
            color: "#FF7819",
            icon: None,
            access_id: 2_268_800,
        },
        AccountSeed {
            id: 2_083_719,
            user: GRANTING_ID,
            created: "2025-04-14 09:12:58.553604",
            updated: "2025-04-14 09:14:06.776031",
            iban: "NL17BUNQ2090415428",
            holder: "Jodi Walker",
            display_name: "J. Walker",
            balance: "954.00",
            description: "Car",
            public_uuid: "fbb765b0-2eef-4c91-8060-37950b65694a",
            color: "#47bfff",
            icon: Some("TRANSPORT"),
            access_id: 2_268_806,
        },
        AccountSeed {
            id: 2_083_721,
            user: GRANTING_ID,
            created: "2025-04-14 09:13:51.146459",
            updated: "2025-04-14 09:13:51.146459",
            iban: "NL09BUNQ2090405775",
            holder: "Jodi Walker",
            display_name: "J. Walker",
            balance: "1643.00",
            description: "Medical",
            public_uuid: "81802c69-3039-4d73-8138-da6e43acb7f0",
            color: "#ff2d55",
            icon: Some("HEALTHCARE"),
            access_id: 2_268_808,
        },
    ];
    seeds.iter().map(AccountSeed::account).collect()
}

impl AccountSeed<'_> {
    pub(super) fn account(&self) -> AccountRec {
        let s = self;
        AccountRec {
            id: s.id,
            user: s.user,
            json: json!({"MonetaryAccountBank": {
                "id": s.id,
                "created": s.created,
                "updated": s.updated,
                "alias": [{"type": "IBAN", "value": s.iban, "name": s.holder}],
                "balance": {"currency": "EUR", "value": s.balance},
                "country": "NL",
                "currency": "EUR",
                "display_name": s.display_name,
                "daily_limit": {"currency": "EUR", "value": "5000.00"},
                "description": s.description,
                "public_uuid": s.public_uuid,
                "status": "ACTIVE",
                "sub_status": "NONE",
                "timezone": "europe/amsterdam",
                "user_id": s.user,
                "monetary_account_profile": null,
                "setting": {
                    "color": s.color,
                    "icon": s.icon,
                    "default_avatar_status": if s.icon.is_some() { "AVATAR_ICON" } else { "AVATAR_DEFAULT" },
                    "restriction_chat": "ALLOW_INCOMING",
                    "sdd_expiration_action": "AUTO_ACCEPT",
                },
                "connected_cards": [],
                "budget": [],
                "all_access": [{"MonetaryAccountAccess": {
                    "id": s.access_id,
                    "created": s.created,
                    "updated": s.created,
                    "access_type": "FULL_PERMANENT",
                }}],
                "overdraft_limit": {"currency": "EUR", "value": "0.00"},
                "all_auto_save_id": [],
            }}),
        }
    }
}
