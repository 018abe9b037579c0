//! `serve --demo` registers `demo-rp` with the URIs `examples/demo-rp.rs` uses, and
//! brings a `demo-rp` from an older demo data folder up to date.

use crate::helpers::*;
use gapura::clients;
use gapura::demo::{
    self, DEMO_BACKCHANNEL_URI, DEMO_CLIENT_ID, DEMO_POST_LOGOUT_URI, DEMO_REDIRECT_URI,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};

async fn demo_client(app: &TestApp) -> clients::Client {
    clients::find(&app.state.db, DEMO_CLIENT_ID)
        .await
        .unwrap()
        .expect("demo-rp is registered")
}

#[actix_web::test]
async fn demo_rp_is_registered_with_the_examples_uris() {
    let app = spawn_app().await;
    demo::load(&app.state).await.unwrap();
    let c = demo_client(&app).await;
    assert!(c.redirect_uris.iter().any(|u| u == DEMO_REDIRECT_URI));
    assert!(
        c.post_logout_redirect_uris
            .iter()
            .any(|u| u == DEMO_POST_LOGOUT_URI)
    );
    assert_eq!(
        c.backchannel_logout_uri.as_deref(),
        Some(DEMO_BACKCHANNEL_URI)
    );
    assert!(c.backchannel_logout_session_required);
    assert!(c.is_public());
    for scope in ["asn", "roles"] {
        assert!(
            c.allowed_scopes.contains(scope),
            "demo-rp may ask for {scope}"
        );
    }
}

#[actix_web::test]
async fn an_older_demo_rp_gets_the_logout_uris_once() {
    let app = spawn_app().await;
    demo::load(&app.state).await.unwrap();
    // What an older `serve --demo` registered: no back-channel URI, another post-logout URI.
    entity::client::Entity::update_many()
        .col_expr(
            entity::client::Column::PostLogoutRedirectUris,
            Expr::value(r#"["http://127.0.0.1:8081/"]"#),
        )
        .col_expr(
            entity::client::Column::BackchannelLogoutUri,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            entity::client::Column::BackchannelLogoutSessionRequired,
            Expr::value(false),
        )
        .filter(entity::client::Column::ClientId.eq(DEMO_CLIENT_ID))
        .exec(&app.state.db)
        .await
        .unwrap();

    demo::load(&app.state).await.unwrap();
    let c = demo_client(&app).await;
    assert_eq!(
        c.post_logout_redirect_uris,
        ["http://127.0.0.1:8081/", DEMO_POST_LOGOUT_URI],
        "the old URI stays, the example's is added"
    );
    assert_eq!(
        c.backchannel_logout_uri.as_deref(),
        Some(DEMO_BACKCHANNEL_URI)
    );
    assert!(c.backchannel_logout_session_required);

    // Loading again changes nothing.
    demo::load(&app.state).await.unwrap();
    let again = demo_client(&app).await;
    assert_eq!(again.post_logout_redirect_uris, c.post_logout_redirect_uris);
    assert_eq!(again.backchannel_logout_uri, c.backchannel_logout_uri);
}
