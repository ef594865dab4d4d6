//! How store records are sealed, whatever the backend: each record is bound
//! to its store, its name and its version, and a sealed manifest holds the
//! latest version of every record and the users deleted, so an older copy
//! of a record (a rollback) or a deleted user's record put back is refused.
//!
//! Each write goes: record (version `v`), then manifest (`v` for that name,
//! generation + 1), under the backend's write lock. A crash between the two
//! leaves the record ahead of the manifest, which loads (the rule is
//! "record version ≥ manifest's"). The manifest is created with the store
//! (by the open that creates its id), so a missing one is a rollback too, and
//! a record of version 0 (sealed before versions existed, bound to its name
//! only) is refused. A handle remembers the highest manifest generation it
//! has written or read and refuses an older manifest. What no store can see
//! from inside is a consistent rollback of every record and the manifest
//! together while no handle is open: keep backups as secret as the key.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use crate::context::ApiContext;
use crate::error::{Error, Result};
use crate::oauth::OAuthConfig;
use crate::secret::{ClientSecret, CsrfState};
use crate::store::{ContextKey, EncryptionKey, StoreError};

/// The record name of the OAuth client configuration.
pub(crate) const OAUTH_CONFIG: &str = "oauth config";
/// The record name of the manifest.
const MANIFEST: &str = "manifest";

/// Seals and opens one store's records: its key and its id.
#[derive(Debug)]
pub(crate) struct Sealer {
    key: EncryptionKey,
    store_id: String,
    /// The highest manifest generation this handle has written or read.
    seen_generation: AtomicU64,
}

impl Sealer {
    pub(crate) fn new(key: EncryptionKey, store_id: String) -> Self {
        Sealer {
            key,
            store_id,
            seen_generation: AtomicU64::new(0),
        }
    }

    /// A sealer for the same store under another key (key rotation).
    pub(crate) fn with_key(&self, key: EncryptionKey) -> Sealer {
        Sealer::new(key, self.store_id.clone())
    }

    /// The associated data: store, record and version, so a sealed blob
    /// opens only as that version of that record of this store. Version 0
    /// is a record written before records had versions: bound to its name
    /// only, and refused once the manifest knows a newer one.
    fn aad(&self, name: &str, version: u64) -> String {
        if version == 0 {
            name.to_owned()
        } else {
            format!("{}|{name}|{version}", self.store_id)
        }
    }

    pub(crate) fn seal(&self, name: &str, version: u64, plaintext: &[u8]) -> Result<Vec<u8>> {
        self.key.seal(&self.aad(name, version), plaintext)
    }

    pub(crate) fn open(&self, name: &str, version: u64, sealed: &[u8]) -> Result<Vec<u8>> {
        self.key
            .open(&self.aad(name, version), sealed)
            .map_err(|e| rename_corrupt(e, name))
    }

    pub(crate) fn seal_context(
        &self,
        key: ContextKey,
        version: u64,
        context: &ApiContext,
    ) -> Result<Vec<u8>> {
        self.seal(&key.record(), version, &context.to_json()?)
    }

    pub(crate) fn open_context(
        &self,
        key: ContextKey,
        version: u64,
        sealed: &[u8],
    ) -> Result<ApiContext> {
        let json = self.open(&key.record(), version, sealed)?;
        ApiContext::from_json(&json).map_err(|e| corrupt(&key.record(), e))
    }

    pub(crate) fn seal_oauth_config(&self, version: u64, config: &OAuthConfig) -> Result<Vec<u8>> {
        let record = OAuthConfigRecord {
            client_id: config.client_id().to_owned(),
            client_secret: config.client_secret().expose_secret().to_owned(),
            redirect_uri: config.redirect_uri().to_owned(),
        };
        let json = serde_json::to_vec(&record).map_err(|e| Error::InvalidInput(e.to_string()))?;
        self.seal(OAUTH_CONFIG, version, &json)
    }

    pub(crate) fn open_oauth_config(&self, version: u64, sealed: &[u8]) -> Result<OAuthConfig> {
        let json = self.open(OAUTH_CONFIG, version, sealed)?;
        let record: OAuthConfigRecord =
            serde_json::from_slice(&json).map_err(|e| corrupt(OAUTH_CONFIG, e))?;
        OAuthConfig::new(
            record.client_id,
            ClientSecret::new(record.client_secret),
            record.redirect_uri,
        )
    }

    /// The manifest as sealed bytes (its version is its generation).
    fn seal_manifest(&self, manifest: &Manifest) -> Result<Vec<u8>> {
        let json = serde_json::to_vec(manifest).map_err(|e| Error::InvalidInput(e.to_string()))?;
        self.seal(MANIFEST, manifest.generation, &json)
    }

    /// Notes that the manifest of `generation` was written (after the
    /// write is complete).
    pub(crate) fn wrote_manifest(&self, generation: u64) {
        self.seen_generation.fetch_max(generation, Ordering::SeqCst);
    }

    /// The lowest generation a manifest read from now on may have: take it
    /// before reading, then pass it to [`open_manifest`](Self::open_manifest).
    pub(crate) fn manifest_floor(&self) -> u64 {
        self.seen_generation.load(Ordering::SeqCst)
    }

    /// Opens the manifest of `generation` (stored beside it in clear); one
    /// older than `floor` (a manifest this handle wrote or read before this
    /// read began) is refused, and so is none at all: every store has one
    /// from its creation. Raises the handle's floor to what it read.
    pub(crate) fn open_manifest(&self, floor: u64, stored: Option<&[u8]>) -> Result<Manifest> {
        let manifest = match stored {
            None => return Err(rolled_back(MANIFEST)),
            Some(bytes) => {
                let (generation, sealed) = unframe(bytes);
                let json = self.open(MANIFEST, generation, sealed)?;
                let manifest: Manifest =
                    serde_json::from_slice(&json).map_err(|e| corrupt(MANIFEST, e))?;
                if manifest.generation != generation {
                    return Err(corrupt(MANIFEST, "its generation does not match"));
                }
                manifest
            }
        };
        if manifest.generation < floor {
            return Err(rolled_back(MANIFEST));
        }
        self.seen_generation
            .fetch_max(manifest.generation, Ordering::SeqCst);
        Ok(manifest)
    }

    /// The manifest a new store starts with (generation 0, nothing written).
    pub(crate) fn first_manifest(&self) -> Result<Vec<u8>> {
        self.store_manifest(&Manifest::default())
    }

    /// The manifest's stored form (framed with its generation).
    pub(crate) fn store_manifest(&self, manifest: &Manifest) -> Result<Vec<u8>> {
        Ok(frame(manifest.generation, &self.seal_manifest(manifest)?))
    }

    /// A pending state's stored form: HMAC-SHA256 under a key derived from
    /// the operator's, so neither a dump nor someone who can write the
    /// store can make or check one without the key.
    pub(crate) fn state_digest(&self, state: &CsrfState) -> String {
        let subkey = aws_lc_rs::hmac::sign(
            &aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, self.key.bytes()),
            b"bunq-oauth pending state",
        );
        let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, subkey.as_ref());
        let tag = aws_lc_rs::hmac::sign(&key, state.expose_secret().as_bytes());
        tag.as_ref().iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// A revoked token's stored form: SHA-256, unkeyed, so revocations survive a
/// key rotation. A revoked token opens nothing, so the digest of a weak one
/// being guessable from a dump gives nothing away.
pub(crate) fn revoked_digest(token: &str) -> String {
    let mut input = b"bunq-oauth revoked token:".to_vec();
    input.extend_from_slice(token.as_bytes());
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &input);
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// The latest version of every record, and the users deleted.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Manifest {
    /// Grows by one with every write.
    pub(crate) generation: u64,
    versions: BTreeMap<String, u64>,
    deleted: BTreeSet<u64>,
}

impl Manifest {
    /// The version the next write of `name` gets.
    pub(crate) fn next_version(&self, name: &str) -> u64 {
        self.versions.get(name).map_or(1, |v| v + 1)
    }

    /// Refuses a record older than the manifest's, or a deleted user's.
    pub(crate) fn check(&self, name: &str, key: Option<ContextKey>, version: u64) -> Result<()> {
        if let Some(ContextKey::User(id)) = key
            && self.deleted.contains(&id.0)
        {
            return Err(rolled_back(name));
        }
        // Version 0: sealed before versions, bound to its name only, so it
        // could come from another store under the same key.
        if version == 0 || version < self.versions.get(name).copied().unwrap_or(0) {
            return Err(rolled_back(name));
        }
        Ok(())
    }

    /// Whether the user `id` was deleted (its id is never given out again).
    pub(crate) fn is_deleted(&self, id: u64) -> bool {
        self.deleted.contains(&id)
    }

    /// Notes a write of `name` at `version`.
    pub(crate) fn wrote(&mut self, name: &str, version: u64) {
        self.versions.insert(name.to_owned(), version);
        self.generation += 1;
    }

    /// Notes a deletion.
    pub(crate) fn deleted(&mut self, key: ContextKey) {
        self.versions.remove(&key.record());
        if let ContextKey::User(id) = key {
            self.deleted.insert(id.0);
        }
        self.generation += 1;
    }
}

/// The stored form of an [`OAuthConfig`].
#[derive(Serialize, Deserialize)]
struct OAuthConfigRecord {
    client_id: String,
    client_secret: String,
    redirect_uri: String,
}

const FRAME: &[u8] = b"v2:";

/// A sealed singleton (the OAuth configuration, the manifest) with its
/// version in front, for backends that keep it as one blob.
pub(crate) fn frame(version: u64, sealed: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(FRAME.len() + 8 + sealed.len());
    out.extend_from_slice(FRAME);
    out.extend_from_slice(&version.to_be_bytes());
    out.extend_from_slice(sealed);
    out
}

/// The version and sealed bytes of a [`frame`]; a blob without the frame
/// was written before versions (version 0).
pub(crate) fn unframe(bytes: &[u8]) -> (u64, &[u8]) {
    match bytes.strip_prefix(FRAME) {
        Some(rest) if rest.len() >= 8 => {
            let (version, sealed) = rest.split_at(8);
            let mut be = [0u8; 8];
            be.copy_from_slice(version);
            (u64::from_be_bytes(be), sealed)
        }
        _ => (0, bytes),
    }
}

/// A new random store id (128 bits, hex).
pub(crate) fn new_store_id() -> Result<String> {
    let mut bytes = [0u8; 16];
    aws_lc_rs::rand::fill(&mut bytes)
        .map_err(|_| Error::Config("the system random number generator failed".into()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn corrupt(record: &str, reason: impl std::fmt::Display) -> Error {
    Error::Store(StoreError::Corrupt {
        record: record.to_owned(),
        reason: reason.to_string(),
    })
}

fn rolled_back(record: &str) -> Error {
    Error::Store(StoreError::RolledBack {
        record: record.to_owned(),
    })
}

/// The key's `Corrupt` names the associated data; name the record instead.
fn rename_corrupt(error: Error, name: &str) -> Error {
    match error {
        Error::Store(StoreError::Corrupt { reason, .. }) => corrupt(name, reason),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer(store: &str) -> Sealer {
        Sealer::new(
            EncryptionKey::parse(&"ab".repeat(32)).unwrap(),
            store.into(),
        )
    }

    impl Sealer {
        /// A fresh handle on the same store: same key and id, nothing seen.
        fn clone_for_test(&self) -> Sealer {
            Sealer::new(self.key.clone(), self.store_id.clone())
        }
    }

    #[test]
    fn a_record_opens_only_as_itself_in_its_own_store() {
        let (a, b) = (sealer("store-a"), sealer("store-b"));
        let sealed = a.seal("user 1", 3, b"x").unwrap();
        assert_eq!(a.open("user 1", 3, &sealed).unwrap(), b"x");
        assert!(a.open("user 1", 2, &sealed).is_err(), "another version");
        assert!(a.open("user 2", 3, &sealed).is_err(), "another record");
        assert!(b.open("user 1", 3, &sealed).is_err(), "another store");
    }

    #[test]
    fn the_manifest_refuses_older_records_and_deleted_users() {
        let mut manifest = Manifest::default();
        let user = ContextKey::User(crate::store::AppUserId(7));
        manifest.wrote("user 7", 2);
        assert!(manifest.check("user 7", Some(user), 2).is_ok());
        assert!(
            manifest.check("user 7", Some(user), 3).is_ok(),
            "a crash gap"
        );
        assert!(manifest.check("user 7", Some(user), 1).is_err());
        manifest.deleted(user);
        assert!(manifest.check("user 7", Some(user), 9).is_err());
        assert!(manifest.is_deleted(7));
    }

    /// The stored manifests of generations 1 and 2.
    fn two_manifests(sealer: &Sealer) -> (Vec<u8>, Vec<u8>) {
        let mut manifest = Manifest::default();
        manifest.wrote("owner", 1);
        let old = sealer.store_manifest(&manifest).unwrap();
        manifest.wrote("owner", 2);
        (old, sealer.store_manifest(&manifest).unwrap())
    }

    #[test]
    fn an_older_manifest_than_one_written_is_refused() {
        let sealer = sealer("s");
        let (old, new) = two_manifests(&sealer);
        sealer.wrote_manifest(2);
        let floor = sealer.manifest_floor();
        assert_eq!(
            sealer.open_manifest(floor, Some(&new)).unwrap().generation,
            2
        );
        assert!(
            sealer.open_manifest(floor, None).is_err(),
            "a deleted manifest"
        );
        let err = sealer.open_manifest(floor, Some(&old)).unwrap_err();
        assert!(
            matches!(err, Error::Store(StoreError::RolledBack { .. })),
            "{err:?}"
        );
    }

    #[test]
    fn frames_round_trip_and_legacy_blobs_are_version_0() {
        assert_eq!(unframe(&frame(7, b"sealed")), (7, &b"sealed"[..]));
        assert_eq!(unframe(b"\x01legacy"), (0, &b"\x01legacy"[..]));
        assert_eq!(unframe(b"v2:short"), (0, &b"v2:short"[..]));
    }

    #[test]
    fn state_digests_are_keyed() {
        let state = CsrfState::new("some-state");
        let a = sealer("s").state_digest(&state);
        let other = Sealer::new(EncryptionKey::parse(&"cd".repeat(32)).unwrap(), "s".into());
        assert_ne!(a, other.state_digest(&state));
        let plain = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, b"some-state");
        let plain: String = plain.as_ref().iter().map(|b| format!("{b:02x}")).collect();
        assert_ne!(a, plain, "not the unkeyed SHA-256");
        assert_eq!(a.len(), 64);
    }

    #[test]
    fn a_record_from_before_versions_opens_as_version_0() {
        let sealer = sealer("s");
        // How the first store format sealed: bound to the record name only.
        let legacy = sealer.key.seal("user 1", b"old").unwrap();
        assert_eq!(sealer.open("user 1", 0, &legacy).unwrap(), b"old");
        assert!(sealer.open("user 1", 1, &legacy).is_err());
        assert!(sealer.open("user 2", 0, &legacy).is_err());
        // The manifest refuses it, known name or not: bound to its name
        // only, it could come from another store under the same key.
        let mut manifest = Manifest::default();
        assert!(manifest.check("user 1", None, 0).is_err());
        manifest.wrote("user 1", 1);
        assert!(manifest.check("user 1", None, 0).is_err());
        assert!(manifest.check("user 1", None, 1).is_ok());
    }

    #[test]
    fn a_manifest_read_raises_the_floor_as_a_write_does() {
        let sealer = sealer("s");
        let (old, new) = two_manifests(&sealer);
        // Another handle wrote generation 2; this one only reads it.
        let reader = sealer.clone_for_test();
        reader
            .open_manifest(reader.manifest_floor(), Some(&new))
            .unwrap();
        let err = reader
            .open_manifest(reader.manifest_floor(), Some(&old))
            .unwrap_err();
        assert!(
            matches!(err, Error::Store(StoreError::RolledBack { .. })),
            "{err:?}"
        );
        assert!(
            reader.open_manifest(0, None).is_err(),
            "a missing manifest is a rollback"
        );
    }
}
