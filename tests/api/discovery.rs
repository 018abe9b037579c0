use crate::helpers::*;
use openidconnect::IssuerUrl;
use openidconnect::core::CoreProviderMetadata;

#[tokio::test]
async fn discovery_is_accepted_by_a_strict_rp() {
    let app = spawn_app().await;
    let meta = CoreProviderMetadata::discover_async(
        IssuerUrl::new(app.issuer.clone()).unwrap(),
        &app.http,
    )
    .await
    .unwrap();
    assert_eq!(meta.issuer().as_str(), app.issuer);
    assert_eq!(meta.token_endpoint().unwrap().as_str(), app.url("/token"));
    assert_eq!(
        meta.jwks().keys().len(),
        3,
        "RS256, ES256 and EdDSA keys are published"
    );
    let doc = json(
        app.http
            .get(app.url("/.well-known/openid-configuration"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        doc["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(doc["response_types_supported"], serde_json::json!(["code"]));
    assert_eq!(doc["introspection_endpoint"], app.url("/introspect"));
    assert_eq!(doc["revocation_endpoint"], app.url("/revoke"));
    let rfc8414 = json(
        app.http
            .get(app.url("/.well-known/oauth-authorization-server"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(rfc8414["issuer"], doc["issuer"]);
}

#[tokio::test]
async fn jwks_publishes_public_keys_only() {
    let app = spawn_app().await;
    let resp = app.http.get(app.url("/jwks")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let body = json(resp).await;
    let keys = body["keys"].as_array().unwrap();
    let algs: Vec<&str> = keys.iter().map(|k| k["alg"].as_str().unwrap()).collect();
    assert!(algs.contains(&"RS256") && algs.contains(&"ES256") && algs.contains(&"EdDSA"));
    for k in keys {
        assert!(
            k.get("d").is_none() && k.get("p").is_none(),
            "no private members"
        );
        assert_eq!(k["use"], "sig");
        assert!(k["kid"].is_string());
    }
}

#[tokio::test]
async fn health_endpoints() {
    let app = spawn_app().await;
    let live = app.http.get(app.url("/health/live")).send().await.unwrap();
    assert_eq!(live.status(), 200);
    let ready = json(app.http.get(app.url("/health/ready")).send().await.unwrap()).await;
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["checks"]["database"], "up");
}

#[tokio::test]
async fn unknown_paths_are_404_not_200() {
    let app = spawn_app().await;
    let resp = app.http.get(app.url("/no-such-page")).send().await.unwrap();
    assert_eq!(resp.status(), 404);
}

#[tokio::test]
async fn metrics_are_exposed_in_prometheus_format() {
    let app = spawn_app().await;
    let (c, s) = app.web_client().await;
    assert_eq!(
        app.token(&c, &s, &[("grant_type", "client_credentials")])
            .await
            .status(),
        200
    );
    let resp = app.http.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = resp.text().await.unwrap();
    assert!(
        text.contains("gapura_http_requests_total{route=\"/token\",status=\"2xx\"} 1"),
        "{text}"
    );
    assert!(text.contains("gapura_http_request_duration_seconds_count{route=\"/token\"} 1"));
    assert!(text.contains("gapura_tokens_issued_total{grant_type=\"client_credentials\"} 1"));
    assert!(text.contains("gapura_backchannel_outbox{status=\"pending\"} 0"));
}
