//! Issue 19 item 3: tooling credentials — generated, hashed, named, revocable, never a
//! password, counted in the throttle.

use std::time::Duration;

use tessera::mfa::{Actor, SecurityEventKind, ThrottleConfig};
use tessera::{AdminAction, Error, MAX_TOOLING_CREDENTIALS, OrgPolicy, Password, SignIn};

use crate::common::{PASSWORD, World};

impl World {
    async fn federated(&self) -> tessera::Assurance {
        let fed = self
            .flows
            .create_federated_account("fed", "fed@example.com", "okta")
            .await
            .unwrap();
        self.flows
            .signed_in_by_identity_provider(fed.id())
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn an_identity_provider_account_gets_a_credential_its_tools_use_and_sign_in_refuses() {
    let w = World::new();
    let fed = w.federated().await;
    let new = w
        .flows
        .create_tooling_credential(&fed, "  ci deploy ")
        .await
        .unwrap()
        .into_value();
    let secret = new.secret.expose().to_owned();
    assert!(secret.starts_with("tsr_") && secret.len() == 36, "{secret}");
    assert!(!format!("{new:?}").contains(&secret));
    assert_eq!(new.credential.name(), "ci deploy");
    assert_eq!(new.credential.last_used_at(), None);
    assert_eq!(new.credential.created_at(), w.now());
    let created = w.now();
    w.advance(5);
    let tool = w
        .flows
        .authenticate_tool("FED", &Password::new(secret.clone()))
        .await
        .unwrap();
    assert_eq!(
        (&tool.account, tool.name.as_str(), tool.credential.as_str()),
        (fed.account(), "ci deploy", new.credential.id())
    );
    let listed = w.flows.tooling_credentials(&fed).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].last_used_at(), Some(w.now()));
    assert_eq!(listed[0].created_at(), created);
    // Never at the interactive sign-in.
    assert!(matches!(
        w.sign_in("fed", &secret).await,
        Err(Error::VerificationFailed)
    ));
    let kinds: Vec<_> = w.events.drain().into_iter().map(|e| e.kind).collect();
    assert!(kinds.contains(&SecurityEventKind::ToolingCredentialAdded {
        name: "ci deploy".into()
    }));
}

#[tokio::test]
async fn a_password_is_not_a_tooling_credential_nor_the_other_way_round() {
    let w = World::new();
    let ana = w.ana().await;
    let secret = w
        .flows
        .create_tooling_credential(&ana, "backup")
        .await
        .unwrap()
        .into_value()
        .secret;
    assert!(matches!(
        w.flows
            .authenticate_tool("ana", &Password::new(PASSWORD))
            .await,
        Err(Error::VerificationFailed)
    ));
    assert!(matches!(
        w.sign_in("ana", secret.expose()).await,
        Err(Error::VerificationFailed)
    ));
    // Another account's credential does not open this one.
    let bob = crate::common::signed_up(&w.flows, "bob", "bob@example.com").await;
    let bobs = w
        .flows
        .create_tooling_credential(&bob, "backup")
        .await
        .unwrap()
        .into_value()
        .secret;
    assert!(w.flows.authenticate_tool("ana", &secret).await.is_ok());
    assert!(matches!(
        w.flows.authenticate_tool("ana", &bobs).await,
        Err(Error::VerificationFailed)
    ));
    assert!(matches!(
        w.flows.authenticate_tool("nobody", &bobs).await,
        Err(Error::VerificationFailed)
    ));
}

#[tokio::test]
async fn holders_and_administrators_list_and_revoke_credentials() {
    let w = World::new();
    let ana = w.ana().await;
    let ci = w
        .flows
        .create_tooling_credential(&ana, "ci")
        .await
        .unwrap()
        .into_value();
    let cli = w
        .flows
        .create_tooling_credential(&ana, "laptop cli")
        .await
        .unwrap()
        .into_value();
    assert!(matches!(
        w.flows.create_tooling_credential(&ana, "ci").await,
        Err(Error::InvalidToolingCredential(_))
    ));
    let revoked = w
        .flows
        .revoke_tooling_credential(&ana, ci.credential.id())
        .await
        .unwrap()
        .into_value();
    assert_eq!(revoked.name(), "ci");
    assert!(w.flows.authenticate_tool("ana", &ci.secret).await.is_err());
    assert!(w.flows.authenticate_tool("ana", &cli.secret).await.is_ok());
    assert!(matches!(
        w.flows
            .revoke_tooling_credential(&ana, ci.credential.id())
            .await,
        Err(Error::InvalidToolingCredential(_))
    ));
    let admin = AdminAction::new("root", "laptop stolen").unwrap();
    let user = ana.account().clone();
    assert_eq!(
        w.flows
            .admin_tooling_credentials(&user)
            .await
            .unwrap()
            .len(),
        1
    );
    w.events.drain();
    let revoked = w
        .flows
        .admin_revoke_tooling_credential(&admin, &user, cli.credential.id())
        .await
        .unwrap();
    assert_eq!(revoked.value.id(), cli.credential.id());
    assert!(w.flows.authenticate_tool("ana", &cli.secret).await.is_err());
    assert!(
        w.flows
            .admin_tooling_credentials(&user)
            .await
            .unwrap()
            .is_empty()
    );
    let events = w.events.drain();
    assert!(
        events
            .iter()
            .any(|e| e.actor == Actor::administrator("root")
                && e.kind
                    == SecurityEventKind::ToolingCredentialRevoked {
                        name: "laptop cli".into()
                    })
    );
}

#[tokio::test]
async fn creating_one_needs_a_fresh_session() {
    let w = World::new();
    let ana = w.ana().await;
    w.advance(20 * 60 + 1);
    assert!(matches!(
        w.flows.create_tooling_credential(&ana, "late").await,
        Err(Error::ReauthenticationRequired)
    ));
    let fresh = match w.sign_in("ana", PASSWORD).await.unwrap() {
        SignIn::Complete(a) => a,
        other => panic!("{other:?}"),
    };
    let _ = w.flows.sign_out_everywhere(&fresh).await.unwrap();
    assert!(matches!(
        w.flows.create_tooling_credential(&fresh, "stale").await,
        Err(Error::SessionRevoked)
    ));
    // An identity provider's assurance only for its accounts.
    assert!(matches!(
        w.flows.signed_in_by_identity_provider(ana.account()).await,
        Err(Error::InvalidToolingCredential(_))
    ));
}

#[tokio::test]
async fn wrong_tooling_credentials_are_counted_with_the_sign_ins() {
    let throttle = ThrottleConfig::new(
        1,
        3,
        100,
        Duration::from_secs(1),
        Duration::from_secs(1),
        Duration::from_secs(3600),
    )
    .unwrap();
    let w = World::with(OrgPolicy::default(), throttle);
    let ana = w.ana().await;
    let good = w
        .flows
        .create_tooling_credential(&ana, "ci")
        .await
        .unwrap()
        .into_value()
        .secret;
    let wrong = Password::new("tsr_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    for _ in 0..3 {
        w.advance(2);
        assert!(w.flows.authenticate_tool("ana", &wrong).await.is_err());
    }
    // Locked: the right credential and the right password are both refused now.
    assert!(matches!(
        w.flows.authenticate_tool("ana", &good).await,
        Err(Error::VerificationFailed)
    ));
    assert!(matches!(
        w.sign_in("ana", PASSWORD).await,
        Err(Error::VerificationFailed)
    ));
    w.advance(3601);
    assert!(w.flows.authenticate_tool("ana", &good).await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_two_concurrent_creations_stop_at_the_cap() {
    let w = World::new();
    let ana = w.ana().await;
    let tasks: Vec<_> = (0..32)
        .map(|i| {
            let (flows, ana) = (w.flows.clone(), ana.clone());
            tokio::spawn(async move {
                flows
                    .create_tooling_credential(&ana, &format!("tool {i}"))
                    .await
            })
        })
        .collect();
    let (mut created, mut refused) = (0, 0);
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => created += 1,
            Err(Error::InvalidToolingCredential(_)) => refused += 1,
            Err(e) => assert!(e.is_conflict(), "{e:?}"),
        }
    }
    let stored = w.flows.tooling_credentials(&ana).await.unwrap().len();
    assert_eq!(stored, created);
    assert!(created <= MAX_TOOLING_CREDENTIALS, "{created}");
    assert!(
        created > 0 && created + refused <= 32,
        "{created} {refused}"
    );
    // Whatever the conflicts, the cap holds and a 17th is refused.
    for i in stored..MAX_TOOLING_CREDENTIALS {
        let _ = w
            .flows
            .create_tooling_credential(&ana, &format!("more {i}"))
            .await
            .unwrap();
    }
    assert!(matches!(
        w.flows
            .create_tooling_credential(&ana, "one too many")
            .await,
        Err(Error::InvalidToolingCredential(_))
    ));
}
