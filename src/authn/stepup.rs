//! Deciding what a login still needs (OIDC Core §3.1.2.1 `acr_values`, §5.5.1.1
//! essential `acr`, §3.1.2.6 errors): the level asked for is the strongest of the
//! request and the policy; a weaker session is stepped up by the missing factor,
//! or led through enrolment when the person has none; a level Gapura cannot reach,
//! or any interaction under `prompt=none`, is an error, never a weaker token.

use super::Acr;
use crate::clients::Client;
use crate::error::{ErrorCode, OAuthError};
use crate::session::SsoSession;
use crate::state::AppState;
use crate::users::User;
use serde_json::Value;

/// The weakest of the requested values Gapura knows: any of them would satisfy the
/// request, and a stronger session satisfies a weaker class. Unknown values are
/// ignored (`acr_values` is voluntary, OIDC Core §3.1.2.1). `None`: nothing known asked.
pub fn requested_level(acr_values: &[String]) -> Option<Acr> {
    acr_values.iter().filter_map(|v| Acr::parse(v)).min()
}

/// The requested classes of an authorization request: `acr_values` (OIDC Core
/// §3.1.2.1) then the values of the `claims` parameter's `id_token.acr` (§5.5.1.1),
/// and whether those are essential.
pub fn requested(
    acr_values: Option<&str>,
    claims: Option<&str>,
) -> Result<(Vec<String>, bool), OAuthError> {
    let mut values: Vec<String> = acr_values
        .unwrap_or_default()
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    if values.len() > 10 || values.iter().any(|v| v.len() > 200) {
        return Err(OAuthError::invalid_request("acr_values is too long"));
    }
    let mut essential = false;
    if let Some(claims) = claims {
        let (asked, is_essential) = essential_acr(claims)?;
        essential = is_essential;
        for v in asked {
            if !values.contains(&v) && values.len() < 10 {
                values.push(v);
            }
        }
    }
    Ok((values, essential))
}

/// Reads `claims.id_token.acr` of the `claims` parameter (OIDC Core §5.5): the
/// values asked for (`value` or `values`) and whether they are essential.
pub fn essential_acr(claims: &str) -> Result<(Vec<String>, bool), OAuthError> {
    let v: Value = serde_json::from_str(claims)
        .map_err(|_| OAuthError::invalid_request("claims is not a JSON object"))?;
    let Some(acr) = v.pointer("/id_token/acr") else {
        return Ok((Vec::new(), false));
    };
    let essential = acr.get("essential").and_then(Value::as_bool) == Some(true);
    let mut values: Vec<String> = Vec::new();
    if let Some(s) = acr.get("value").and_then(Value::as_str) {
        values.push(s.to_owned());
    }
    if let Some(list) = acr.get("values").and_then(Value::as_array) {
        values.extend(list.iter().filter_map(Value::as_str).map(str::to_owned));
    }
    Ok((values, essential))
}

/// What an authorization request asks of the session's level.
#[derive(Debug, Clone, Copy)]
pub struct Asked<'a> {
    /// `acr_values` (or the `claims` parameter's `id_token.acr`), in order of preference.
    pub acr_values: &'a [String],
    /// The `claims` parameter marked `acr` essential.
    pub essential: bool,
    /// `prompt=none`: no page may be shown.
    pub prompt_none: bool,
}

/// What the session of an authorization request still needs: the level asked is
/// the stronger of the request's and the policy's.
pub async fn next_step(
    state: &AppState,
    asked: Asked<'_>,
    user: &User,
    client: &Client,
    sso: &SsoSession,
) -> Result<Next, OAuthError> {
    let requested = requested_level(asked.acr_values);
    let policy = super::policy::required_acr_for(state, user, client).await?;
    let required = requested.unwrap_or(Acr::Pwd).max(policy);
    let summary = super::factors::summary(&state.db, &user.id).await?;
    decide(
        super::level_of(&sso.acr),
        required,
        summary.has_second_factor(),
        asked.prompt_none,
        asked.essential && requested.is_none(),
    )
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// The session is strong enough.
    Proceed,
    /// Ask for the second factor the person has.
    StepUp,
    /// The person has no second factor yet: enrol one first.
    Enroll,
}

/// What to do with a session at level `have` when `required` is needed.
/// `essential_unknown`: an essential `acr` was asked with no value Gapura knows.
pub fn decide(
    have: Acr,
    required: Acr,
    has_second_factor: bool,
    prompt_none: bool,
    essential_unknown: bool,
) -> Result<Next, OAuthError> {
    if essential_unknown {
        return Err(OAuthError::new(
            ErrorCode::AccessDenied,
            "none of the essential acr values is supported",
        ));
    }
    if have >= required {
        return Ok(Next::Proceed);
    }
    if !required.reachable() {
        return Err(OAuthError::new(
            if prompt_none {
                ErrorCode::InteractionRequired
            } else {
                ErrorCode::AccessDenied
            },
            format!("authentication level {required} is not available"),
        ));
    }
    if prompt_none {
        return Err(OAuthError::new(
            ErrorCode::InteractionRequired,
            format!("authentication level {required} needs the person to step up"),
        ));
    }
    Ok(if has_second_factor {
        Next::StepUp
    } else {
        Next::Enroll
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requested_level_takes_the_weakest_known() {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            requested_level(&v(&["urn:gapura:acr:mfa", "urn:gapura:acr:pwd"])),
            Some(Acr::Pwd)
        );
        assert_eq!(
            requested_level(&v(&["urn:gapura:acr:mfa", "x"])),
            Some(Acr::Mfa)
        );
        assert_eq!(requested_level(&v(&["x"])), None);
    }

    #[test]
    fn decisions() {
        use Acr::*;
        assert_eq!(decide(Mfa, Pwd, false, true, false).unwrap(), Next::Proceed);
        assert_eq!(decide(Pwd, Mfa, true, false, false).unwrap(), Next::StepUp);
        assert_eq!(decide(Pwd, Mfa, false, false, false).unwrap(), Next::Enroll);
        let e = decide(Pwd, Mfa, true, true, false).unwrap_err();
        assert_eq!(e.code, ErrorCode::InteractionRequired);
        let e = decide(Mfa, Cert, true, false, false).unwrap_err();
        assert_eq!(e.code, ErrorCode::AccessDenied);
        assert!(decide(Mfa, Pwd, true, false, true).is_err());
    }

    #[test]
    fn claims_parameter() {
        let (v, e) = essential_acr(
            r#"{"id_token":{"acr":{"essential":true,"values":["urn:gapura:acr:mfa"]}}}"#,
        )
        .unwrap();
        assert!(e);
        assert_eq!(v, vec!["urn:gapura:acr:mfa"]);
        assert!(essential_acr("nope").is_err());
        assert_eq!(
            essential_acr(r#"{"userinfo":{}}"#).unwrap(),
            (vec![], false)
        );
    }
}
