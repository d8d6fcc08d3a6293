//! live..test with risk flags over two generated histories. Budget: no slower than
//! `git log --name-only live..test` on the same range (see `benches/diff_compare.sh` for
//! the whole-process comparison, which adds real histories).
//!
//! - `live..test`: 10,000 commits, merges every 10th, two to five files per commit.
//! - `small tree`: 10,500 linear commits, a 24-file tree, one file changed per commit,
//!   where the fixed cost per commit (message, PR number, risk flags) dominates.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::float_cmp,
    clippy::match_wild_err_arm
)] // a test stops at the first surprise and compares exact values

#[path = "support/bigrepo.rs"]
mod bigrepo;

use criterion::{Criterion, criterion_group, criterion_main};
use slipway::vcs::{RiskRules, diff};

fn ranges(c: &mut Criterion, group: &str, dir: &std::path::Path, first_parent: &[String]) {
    let repo = git2::Repository::open(dir).expect("open bench repo");
    let rules = RiskRules::defaults();
    let test = first_parent.last().expect("commits").clone();
    let mut group = c.benchmark_group(group);
    group.sample_size(10);
    for behind in [50usize, 500, first_parent.len() - 1] {
        let live = first_parent[first_parent.len() - 1 - behind].clone();
        let cs = diff(&repo, &live, &test, &rules).expect("diff");
        eprintln!(
            "range of {behind} first-parent commits: {} commits in all, {} risky",
            cs.count, cs.risky
        );
        group.bench_function(format!("{behind} first-parent commits"), |b| {
            b.iter(|| diff(&repo, &live, &test, &rules).expect("diff"));
        });
    }
    group.finish();
}

fn bench(c: &mut Criterion) {
    let (dir, first_parent) = bigrepo::big_repo(10_000);
    ranges(c, "live..test", &dir, &first_parent);
    let (dir, first_parent) = bigrepo::small_tree_repo(10_500);
    ranges(c, "small tree", &dir, &first_parent);
}

criterion_group!(benches, bench);
criterion_main!(benches);
