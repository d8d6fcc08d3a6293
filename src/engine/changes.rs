//! The engine's view of the code: where the repository is, and the `live..test` diffs,
//! computed once per unique pair of versions (stacks on the same versions share one),
//! one at a time on a blocking thread, the selected stack's pair first.

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;

use crate::config::Config;
use crate::model::Version;
use crate::vcs::{ChangeSet, DiffError, RiskRules};

pub type Pair = (Version, Version);

/// Diffs kept at most. A board needs two pairs per stack (live..test, and what the last
/// promotion shipped); older pairs are evicted first and recomputed if ever wanted again.
const MAX_CACHED: usize = 64;
pub type DiffResult = Arc<Result<ChangeSet, DiffError>>;

/// Where the repository stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RepoState {
    /// No `[repo]` in config: the Changes pane says how to add one.
    NotConfigured,
    Cloning,
    Ready(PathBuf),
    Failed(String),
}

impl RepoState {
    pub fn describe(&self) -> String {
        match self {
            RepoState::NotConfigured => {
                "no [repo] in config: add path = or url = to see the commits".into()
            }
            RepoState::Cloning => "cloning the repository…".into(),
            RepoState::Ready(p) => format!("repository {}", p.display()),
            RepoState::Failed(e) => e.clone(),
        }
    }
}

pub struct Changes {
    pub state: RepoState,
    /// A fetch was asked for while the first clone ran: the clone answers it.
    pub fetch_pending: bool,
    rules: Arc<RiskRules>,
    cache: HashMap<Pair, DiffResult>,
    /// Cached pairs, oldest first, for eviction.
    cached_order: VecDeque<Pair>,
    queue: VecDeque<Pair>,
    running: Option<Pair>,
}

/// One diff to compute: everything the blocking thread needs.
pub struct Job {
    pub repo: PathBuf,
    pub pair: Pair,
    pub rules: Arc<RiskRules>,
}

impl Job {
    pub fn run(self) -> Result<ChangeSet, DiffError> {
        let repo = git2::Repository::open(&self.repo).map_err(|e| DiffError::Open {
            path: self.repo.display().to_string(),
            message: e.message().to_string(),
        })?;
        crate::vcs::diff(
            &repo,
            self.pair.0.as_str(),
            self.pair.1.as_str(),
            &self.rules,
        )
    }
}

impl Changes {
    pub fn new(config: &Config) -> Changes {
        let rules = RiskRules::new(&config.changes.risk).unwrap_or_else(|_| RiskRules::defaults());
        let state = match &config.repo {
            None => RepoState::NotConfigured,
            Some(r) => match (&r.path, &r.url) {
                (Some(p), _) => RepoState::Ready(p.clone()),
                (None, Some(_)) => RepoState::Cloning,
                (None, None) => RepoState::NotConfigured,
            },
        };
        Changes {
            state,
            fetch_pending: false,
            rules: Arc::new(rules),
            cache: HashMap::new(),
            cached_order: VecDeque::new(),
            queue: VecDeque::new(),
            running: None,
        }
    }

    /// Asks for diffs of these pairs; `first` jumps the queue (the newest request wins).
    pub fn want(&mut self, pairs: impl IntoIterator<Item = Pair>, first: Option<Pair>) {
        for pair in pairs {
            if !self.cache.contains_key(&pair)
                && self.running.as_ref() != Some(&pair)
                && !self.queue.contains(&pair)
            {
                self.queue.push_back(pair);
            }
        }
        if let Some(pair) = first
            && let Some(i) = self.queue.iter().position(|p| *p == pair)
            && let Some(p) = self.queue.remove(i)
        {
            self.queue.push_front(p);
        }
    }

    /// The next job, if the repository is ready and nothing is running.
    pub fn next_job(&mut self) -> Option<Job> {
        let RepoState::Ready(repo) = &self.state else {
            return None;
        };
        if self.running.is_some() {
            return None;
        }
        let pair = self.queue.pop_front()?;
        self.running = Some(pair.clone());
        Some(Job {
            repo: repo.clone(),
            pair,
            rules: self.rules.clone(),
        })
    }

    pub fn finished(&mut self, pair: Pair, result: Result<ChangeSet, DiffError>) -> DiffResult {
        self.running = None;
        self.store(pair, result)
    }

    /// A job for one pair outside the queue (a promotion's gates need its diff now), if
    /// the repository is ready.
    pub fn job_for(&self, pair: Pair) -> Option<Job> {
        match &self.state {
            RepoState::Ready(repo) => Some(Job {
                repo: repo.clone(),
                pair,
                rules: self.rules.clone(),
            }),
            _ => None,
        }
    }

    /// Keeps a diff computed outside the queue; the queue's own job is left running.
    pub fn store(&mut self, pair: Pair, result: Result<ChangeSet, DiffError>) -> DiffResult {
        self.queue.retain(|p| *p != pair);
        let result = Arc::new(result);
        if self.cache.insert(pair.clone(), result.clone()).is_none() {
            self.cached_order.push_back(pair);
            while self.cached_order.len() > MAX_CACHED {
                if let Some(old) = self.cached_order.pop_front() {
                    self.cache.remove(&old);
                }
            }
        }
        result
    }

    /// After a fetch: versions that were unknown may be known now; known diffs stand.
    pub fn forget_failures(&mut self) -> Vec<Pair> {
        let failed: Vec<Pair> = self
            .cache
            .iter()
            .filter(|(_, r)| r.is_err())
            .map(|(p, _)| p.clone())
            .collect();
        for p in &failed {
            self.cache.remove(p);
        }
        self.cached_order.retain(|p| !failed.contains(p));
        failed
    }

    /// Every diff computed so far, by (live, test).
    pub fn diffs(&self) -> &HashMap<Pair, DiffResult> {
        &self.cache
    }

    pub fn repo_path(&self) -> Option<PathBuf> {
        match &self.state {
            RepoState::Ready(p) => Some(p.clone()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(a: &str, b: &str) -> Pair {
        (Version::new(a), Version::new(b))
    }

    fn changes() -> Changes {
        Changes {
            state: RepoState::Ready(PathBuf::from("/nowhere")),
            fetch_pending: false,
            rules: Arc::new(RiskRules::defaults()),
            cache: HashMap::new(),
            cached_order: VecDeque::new(),
            queue: VecDeque::new(),
            running: None,
        }
    }

    #[test]
    fn shared_pairs_are_computed_once_and_the_newest_request_goes_first() {
        let mut c = changes();
        c.want([pair("a", "t"), pair("a", "t"), pair("b", "t")], None);
        c.want([pair("c", "t")], Some(pair("c", "t")));
        let job = c.next_job().expect("a job");
        assert_eq!(job.pair, pair("c", "t"));
        assert!(c.next_job().is_none(), "one at a time");
        c.finished(job.pair, Err(DiffError::Git("x".into())));
        assert_eq!(c.next_job().map(|j| j.pair), Some(pair("a", "t")));
        c.want([pair("c", "t")], None);
        assert_eq!(c.queue.len(), 1, "cached pairs are not queued again");
        assert_eq!(c.forget_failures(), vec![pair("c", "t")]);
    }

    #[test]
    fn the_cache_is_bounded_and_evicts_the_oldest_pairs() {
        let mut c = changes();
        for i in 0..(MAX_CACHED + 10) {
            c.finished(pair(&format!("l{i}"), "t"), Err(DiffError::Git("x".into())));
        }
        assert_eq!(c.diffs().len(), MAX_CACHED);
        assert!(
            !c.diffs().contains_key(&pair("l0", "t")),
            "the oldest went first"
        );
        assert!(
            c.diffs()
                .contains_key(&pair(&format!("l{}", MAX_CACHED + 9), "t"))
        );
        // An evicted pair that is wanted again is computed again.
        c.want([pair("l0", "t")], None);
        assert_eq!(c.next_job().map(|j| j.pair), Some(pair("l0", "t")));
    }

    #[test]
    fn nothing_runs_until_the_repository_is_ready() {
        let mut c = changes();
        c.state = RepoState::Cloning;
        c.want([pair("a", "t")], None);
        assert!(c.next_job().is_none());
    }
}
