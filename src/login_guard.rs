//! Brute-force protection for password logins. Failures are counted in the store
//! per (account, source address) pair and per account: a pair is locked first
//! (5 failures → 1 min by default, doubling on each new lock, at most 1 h), and the
//! account itself only once failures come from many addresses, so an attack from
//! one address cannot lock the person out everywhere. Failures also slow answers down.

use crate::state::AppState;
use crate::store::StoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Open,
    /// Locked until this Unix time.
    Locked(i64),
}

fn k(kind: &str, account: &str, ip: Option<&str>) -> String {
    match ip {
        Some(ip) => format!("guard:{kind}:{account}:{ip}"),
        None => format!("guard:{kind}:{account}"),
    }
}

async fn lock_until(state: &AppState, key: &str) -> Result<Option<i64>, StoreError> {
    let now = state.now();
    Ok(state
        .store
        .get(key)
        .await?
        .and_then(|v| v.parse::<i64>().ok())
        .filter(|until| *until > now))
}

/// Whether a login for `account` from `ip` may be tried now.
pub async fn check(state: &AppState, account: &str, ip: &str) -> Result<Verdict, StoreError> {
    let pair = lock_until(state, &k("pairlock", account, Some(ip))).await?;
    let whole = lock_until(state, &k("lock", account, None)).await?;
    Ok(match pair.max(whole) {
        Some(until) => Verdict::Locked(until),
        None => Verdict::Open,
    })
}

/// Doubles from `base` with each lock, capped at `max`.
pub fn lock_seconds(base: i64, max: i64, previous_locks: i64) -> i64 {
    let shift = previous_locks.clamp(0, 20) as u32;
    base.saturating_mul(1i64 << shift).min(max)
}

/// Records a failure; returns a new lock if this failure triggered one, and how many
/// failures this pair has had (for the progressive delay).
pub async fn failure(
    state: &AppState,
    account: &str,
    ip: &str,
) -> Result<(Option<(&'static str, i64)>, i64), StoreError> {
    let g = &state.settings.login_guard;
    let now = state.now();
    let count = state
        .store
        .incr(&k("fail", account, Some(ip)), g.window)
        .await?;
    let addresses = state
        .store
        .set_add(&k("addrs", account, None), ip, g.window)
        .await?;
    if addresses >= g.account_addresses {
        let level = state
            .store
            .incr(&k("level", account, None), g.max_lock * 4)
            .await?
            - 1;
        let secs = lock_seconds(g.base_lock, g.max_lock, level);
        state
            .store
            .put(&k("lock", account, None), &(now + secs).to_string(), secs)
            .await?;
        state.store.delete(&k("addrs", account, None)).await?;
        return Ok((Some(("account", now + secs)), count));
    }
    if count >= g.pair_threshold {
        let level = state
            .store
            .incr(&k("pairlevel", account, Some(ip)), g.max_lock * 4)
            .await?
            - 1;
        let secs = lock_seconds(g.base_lock, g.max_lock, level);
        state
            .store
            .put(
                &k("pairlock", account, Some(ip)),
                &(now + secs).to_string(),
                secs,
            )
            .await?;
        state.store.delete(&k("fail", account, Some(ip))).await?;
        return Ok((Some(("pair", now + secs)), count));
    }
    Ok((None, count))
}

/// A successful login clears this address's failure count.
pub async fn success(state: &AppState, account: &str, ip: &str) -> Result<(), StoreError> {
    state.store.delete(&k("fail", account, Some(ip))).await
}

/// The administrator's unlock: the account lock and every address lock of it.
pub async fn unlock(state: &AppState, account: &str) -> Result<(), StoreError> {
    for ip in state.store.set_members(&k("seen", account, None)).await? {
        for kind in ["pairlock", "pairlevel", "fail"] {
            state.store.delete(&k(kind, account, Some(&ip))).await?;
        }
    }
    for kind in ["lock", "level", "addrs", "seen"] {
        state.store.delete(&k(kind, account, None)).await?;
    }
    Ok(())
}

/// Remembers which addresses ever failed against the account, for `unlock`.
pub async fn remember_address(state: &AppState, account: &str, ip: &str) -> Result<(), StoreError> {
    state
        .store
        .set_add(
            &k("seen", account, None),
            ip,
            state.settings.login_guard.max_lock * 4,
        )
        .await
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    #[test]
    fn lock_doubles_and_caps() {
        assert_eq!(super::lock_seconds(60, 3600, 0), 60);
        assert_eq!(super::lock_seconds(60, 3600, 1), 120);
        assert_eq!(super::lock_seconds(60, 3600, 5), 1920);
        assert_eq!(super::lock_seconds(60, 3600, 6), 3600);
        assert_eq!(super::lock_seconds(60, 3600, 60), 3600);
    }
}
