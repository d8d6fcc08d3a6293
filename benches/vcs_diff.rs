//! live..test with risk flags over a 10,000-commit repository. Budget: no slower than
//! `git log --name-only live..test` on the same range (see benches/diff_compare.sh for
//! the whole-process comparison).

#[path = "support/bigrepo.rs"]
mod bigrepo;

use criterion::{Criterion, criterion_group, criterion_main};
use slipway::vcs::{RiskRules, diff};

fn bench(c: &mut Criterion) {
    let (dir, first_parent) = bigrepo::big_repo(10_000);
    let repo = git2::Repository::open(&dir).expect("open bench repo");
    let rules = RiskRules::defaults();
    let test = first_parent.last().expect("commits").clone();
    let mut group = c.benchmark_group("live..test");
    group.sample_size(10);
    for behind in [50usize, 500, first_parent.len() - 1] {
        let live = first_parent[first_parent.len() - 1 - behind].clone();
        let cs = diff(&repo, &live, &test, &rules).expect("diff");
        eprintln!(
            "range of {behind} first-parent commits: {} commits in all, {} risky",
            cs.count, cs.risky
        );
        group.bench_function(format!("{behind} first-parent commits"), |b| {
            b.iter(|| diff(&repo, &live, &test, &rules).expect("diff"))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
