//! Concurrency through the router, on a multi-thread runtime, with exact counts.

use std::collections::HashSet;

use axum::http::StatusCode;
use serde_json::json;
use tessera::Offload;

use crate::app::{PASSWORD, World};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_two_concurrent_sign_ins_each_get_their_own_session() {
    let w = World::new();
    for i in 0..32 {
        w.sign_up(&format!("user{i}")).await;
    }
    let tasks: Vec<_> = (0..32)
        .map(|i| {
            let c = w.program();
            tokio::spawn(async move {
                let r = c
                    .post(
                        "/sign-in",
                        json!({"username": format!("user{i}"), "password": PASSWORD}),
                    )
                    .await;
                (r.status, c)
            })
        })
        .collect();
    let mut ok = 0;
    let mut clients = Vec::new();
    for t in tasks {
        let (status, c) = t.await.unwrap();
        if status == StatusCode::OK {
            ok += 1;
        }
        clients.push(c);
    }
    assert_eq!(ok, 32);
    assert_eq!(w.offload.in_use(), 0, "every hash gave its permit back");
    let ids: HashSet<String> = clients.iter().map(|c| c.session_id().unwrap()).collect();
    assert_eq!(ids.len(), 32, "32 distinct session ids");
    let mut accounts = HashSet::new();
    for c in &clients {
        let r = c.get("/me").await;
        assert_eq!(r.status, StatusCode::OK);
        accounts.insert(r.json()["account"].as_str().unwrap().to_owned());
    }
    assert_eq!(accounts.len(), 32, "each session is its own account");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_code_completes_exactly_one_of_32_concurrent_second_factors() {
    let w = World::new();
    let (_ana, app) = w.with_app("ana").await;
    let mut halves = Vec::new();
    for _ in 0..32 {
        halves.push(w.half_signed_in("ana", false).await);
    }
    let code = w.next_code(&app);
    let tasks: Vec<_> = halves
        .into_iter()
        .map(|c| {
            let code = code.clone();
            tokio::spawn(async move {
                let r = c
                    .post("/sign-in/second-factor", json!({"code": code}))
                    .await;
                (r.status, r.body, c)
            })
        })
        .collect();
    let (mut ok, mut refused) = (0, 0);
    let mut winners = Vec::new();
    for t in tasks {
        let (status, body, c) = t.await.unwrap();
        match status {
            StatusCode::NO_CONTENT => {
                ok += 1;
                winners.push(c);
            }
            StatusCode::UNAUTHORIZED => {
                assert_eq!(body, br#"{"error":"verification_failed"}"#);
                refused += 1;
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!((ok, refused), (1, 31), "the code is single-use");
    assert_eq!(winners[0].get("/me").await.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sign_ins_beyond_the_offloads_permits_are_503_retry_after_1_for_every_username() {
    let w = World::with(tessera::OrgPolicy::default(), 2);
    w.sign_up("ana").await;
    // Two hashes running (held on the blocking pool until released): every permit taken.
    let (started_tx, started_rx) = std::sync::mpsc::channel::<()>();
    let release = std::sync::Arc::new(std::sync::Barrier::new(3));
    let held: Vec<_> = (0..2)
        .map(|_| {
            let (offload, started, release) =
                (w.offload.clone(), started_tx.clone(), release.clone());
            tokio::spawn(async move {
                offload
                    .run(move || {
                        started.send(()).unwrap();
                        release.wait();
                    })
                    .await
            })
        })
        .collect();
    tokio::task::spawn_blocking(move || {
        started_rx.recv().unwrap();
        started_rx.recv().unwrap();
    })
    .await
    .unwrap();
    assert_eq!(w.offload.in_use(), 2);

    let mut bodies = HashSet::new();
    for user in ["ana", "nobody"] {
        let r = w
            .program()
            .post("/sign-in", json!({"username": user, "password": PASSWORD}))
            .await;
        assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{user}");
        assert_eq!(r.header(axum::http::header::RETRY_AFTER), Some("1"));
        bodies.insert(r.body);
    }
    assert_eq!(bodies.len(), 1, "one answer whatever the username");

    let release_all = release.clone();
    tokio::task::spawn_blocking(move || {
        release_all.wait();
    })
    .await
    .unwrap();
    for h in held {
        h.await.unwrap().unwrap();
    }
    // Nothing was counted against the account: it signs in at once.
    let c = w.program();
    assert_eq!(c.sign_in("ana", PASSWORD).await.json()["next"], "done");
}
