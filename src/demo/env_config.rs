//! Configuration per stack and environment, as the platform's config page shows it.
//! Test differs from live by exactly one added key, one removed and one changed, so a
//! config diff has something to show; the secret-looking values are fake and say so.

use std::collections::BTreeMap;

use super::topology::Env;

pub fn for_env(stack: &str, env: Env) -> BTreeMap<String, String> {
    let mut c: BTreeMap<String, String> = [
        ("COSMOS_STACK", format!("belfrage-{stack}")),
        (
            "ORIGIN_SIMORGH",
            format!("https://simorgh.{stack}.internal.example"),
        ),
        ("ORIGIN_FABL", "https://fabl.internal.example".into()),
        ("ORIGIN_MOZART", "https://mozart.internal.example".into()),
        ("ORIGIN_TIMEOUT_MS", "6000".into()),
        ("LOCAL_CACHE_SIZE", "25000".into()),
        ("CIRCUIT_BREAKER_ERROR_THRESHOLD", "200".into()),
        ("LOG_LEVEL", "info".into()),
        ("STATSD_HOST", "127.0.0.1:8125".into()),
        ("DB_PASSWORD", "demo-not-a-secret-db-4f1c9a".into()),
        ("API_TOKEN", "demo-not-a-secret-token-8e2b71".into()),
        ("SIGNING_KEY", "demo-not-a-secret-key-c03d5e".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    if env.is_live() {
        c.insert("ORIGIN_POOL_SIZE".into(), "256".into());
        c.insert("LEGACY_AMP_ROUTES".into(), "true".into());
    } else {
        c.insert("ORIGIN_POOL_SIZE".into(), "512".into());
        c.insert("REQUEST_COALESCING".into(), "true".into());
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_differs_from_live_by_one_added_one_removed_one_changed() {
        let live = for_env("sally", Env::live(2));
        let test = for_env("sally", Env::first(2));
        let added: Vec<_> = test.keys().filter(|k| !live.contains_key(*k)).collect();
        let removed: Vec<_> = live.keys().filter(|k| !test.contains_key(*k)).collect();
        let changed: Vec<_> = live
            .iter()
            .filter(|(k, v)| test.get(*k).is_some_and(|t| t != *v))
            .collect();
        assert_eq!((added.len(), removed.len(), changed.len()), (1, 1, 1));
        assert!(live.contains_key("DB_PASSWORD") && live.contains_key("SIGNING_KEY"));
    }
}
