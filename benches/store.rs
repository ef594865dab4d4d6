//! What the context store adds to the database round trip it cannot avoid:
//! loading a stored context (read, AES-256-GCM open, JSON, RSA key parse)
//! against the floor of reading the same sealed bytes with no decoding, for
//! SQLite and for the file store; and the part of a load that no store can
//! skip, the RSA private key parse (`ApiContext::load` of a plain file). Wall-clock time, current-thread runtime (the fake bunq serves only the set-up).

use std::sync::Arc;

use bunq_oauth::store::{ContextKey, ContextStore, EncryptionKey, FileStore, SqlStore};
use bunq_oauth::{ApiContext, Client};
use bunq_oauth_fake::FakeBunq;
use criterion::{Criterion, criterion_group, criterion_main};

fn store(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("bench.db").display());
    let files = dir.path().join("files");
    let (_fake, sql, file, floor_pool) = rt.block_on(async {
        let fake = FakeBunq::start().await.unwrap();
        let client = Client::builder()
            .environment(fake.environment())
            .build()
            .unwrap();
        let context = ApiContext::create(&client, fake.owner_api_key(), "bench")
            .await
            .unwrap();
        let key = EncryptionKey::generate().unwrap();
        let sql: Arc<dyn ContextStore> =
            Arc::new(SqlStore::connect(&db, key.clone()).await.unwrap());
        let file: Arc<dyn ContextStore> = Arc::new(FileStore::open(&files, key).await.unwrap());
        sql.save(ContextKey::Owner, &context).await.unwrap();
        file.save(ContextKey::Owner, &context).await.unwrap();
        sqlx::any::install_default_drivers();
        let floor_pool = sqlx::AnyPool::connect(&db).await.unwrap();
        (fake, sql, file, floor_pool)
    });

    let mut group = c.benchmark_group("store");
    group.bench_function("sqlite: load a context", |b| {
        b.iter(|| rt.block_on(sql.load(ContextKey::Owner)).unwrap().unwrap())
    });
    group.bench_function("sqlite floor: select the sealed bytes", |b| {
        b.iter(|| {
            rt.block_on(
                sqlx::query_scalar::<_, Vec<u8>>(
                    "SELECT sealed FROM bunq_oauth_contexts WHERE id = $1",
                )
                .bind(0i64)
                .fetch_one(&floor_pool),
            )
            .unwrap()
        })
    });
    group.bench_function("file: load a context", |b| {
        b.iter(|| rt.block_on(file.load(ContextKey::Owner)).unwrap().unwrap())
    });
    let owner_file = files.join("owner.json");
    group.bench_function("file floor: read the record on a blocking thread", |b| {
        b.iter(|| {
            let path = owner_file.clone();
            rt.block_on(async { tokio::task::spawn_blocking(move || std::fs::read(path)).await })
                .unwrap()
                .unwrap()
        })
    });
    let plain = dir.path().join("plain-context.json");
    rt.block_on(file.load(ContextKey::Owner))
        .unwrap()
        .unwrap()
        .save(&plain)
        .unwrap();
    group.bench_function("ApiContext::load (no encryption)", |b| {
        b.iter(|| ApiContext::load(&plain).unwrap())
    });
    // What a load decodes, apart from the key: the RSA private key parse.
    let pem = bunq_oauth::signing::KeyPair::generate()
        .unwrap()
        .to_pkcs8_pem();
    group.bench_function("parse the RSA private key (PKCS#8 PEM)", |b| {
        b.iter(|| bunq_oauth::signing::KeyPair::from_pkcs8_pem(pem.expose_secret()).unwrap())
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(50).measurement_time(std::time::Duration::from_secs(4));
    targets = store
}
criterion_main!(benches);
