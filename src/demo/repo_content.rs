//! What the demo repository's files look like: an Elixir project's skeleton (mix.exs,
//! mix.lock, config, lib and test modules, Ecto migrations) and the small, re-applicable
//! text edits each kind of pull request makes to it. `repo.rs` decides the history's
//! shape; this file only decides its content.

use std::collections::BTreeMap;

use super::assets::CommitMaterial;
use super::repo::Op;

/// `Fix cache key for personalised pages` → `fix_cache_key_for` (4 words, `_`).
pub(super) fn slug(text: &str, words: usize, sep: char) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                ' '
            }
        })
        .collect();
    cleaned
        .split_whitespace()
        .take(words)
        .collect::<Vec<_>>()
        .join(&sep.to_string())
}

fn camel(snake: &str) -> String {
    snake
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

pub(super) fn insert_before_end(old: &str, text: &str) -> String {
    let trimmed = old.trim_end();
    match trimmed.rfind('\n') {
        Some(nl) if trimmed[nl + 1..].trim() == "end" => {
            format!("{}{text}end\n", &trimmed[..=nl])
        }
        _ if old.is_empty() => text.trim_start_matches('\n').to_string(),
        _ => format!("{trimmed}\n{text}"),
    }
}

pub(super) fn insert_after(old: &str, marker: &str, text: &str) -> String {
    match old.lines().position(|l| l == marker) {
        Some(at) => {
            let mut lines: Vec<&str> = old.lines().collect();
            let tail = lines.split_off(at + 1);
            format!(
                "{}\n{}\n{}\n",
                lines.join("\n"),
                text.trim_matches('\n'),
                tail.join("\n")
            )
        }
        None => format!("{old}{text}"),
    }
}

pub(super) fn set_line(old: &str, prefix: &str, line: &str) -> String {
    let mut replaced = false;
    let mut out: Vec<String> = old
        .lines()
        .map(|l| {
            if !replaced && l.starts_with(prefix) {
                replaced = true;
                line.to_string()
            } else {
                l.to_string()
            }
        })
        .collect();
    if !replaced {
        out.push(line.to_string());
    }
    out.join("\n") + "\n"
}

/// `Bump plug from 1.15.3 to 1.16.1` → (`plug`, `1.16.1`).
pub(super) fn bump_target(subject: &str) -> Option<(String, String)> {
    let words: Vec<&str> = subject.split_whitespace().collect();
    match words.as_slice() {
        ["Bump", dep, "from", _, "to", to] => Some((dep.to_string(), to.to_string())),
        _ => None,
    }
}

/// `Bump plug from 1.15.3 to 1.16.1` → (`plug`, `1.15.3`): what the lock starts with.
fn bump_source(subject: &str) -> Option<(String, String)> {
    let words: Vec<&str> = subject.split_whitespace().collect();
    match words.as_slice() {
        ["Bump", dep, "from", from, "to", _] => Some((dep.to_string(), from.to_string())),
        _ => None,
    }
}

pub(super) fn minor(version: &str) -> String {
    version.split('.').take(2).collect::<Vec<_>>().join(".")
}

/// A mix.lock entry with checksums derived from the name and version (stable, fake).
pub(super) fn lock_line(dep: &str, version: &str) -> String {
    let mut rng = fastrand::Rng::with_seed(
        dep.bytes()
            .chain(version.bytes())
            .fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
            }),
    );
    let hex = |rng: &mut fastrand::Rng| -> String { (0..64).map(|_| rng.digit(16)).collect() };
    let a = hex(&mut rng);
    let b = hex(&mut rng);
    format!(
        "  \"{dep}\": {{:hex, :{dep}, \"{version}\", \"{a}\", [:mix], [], \"hexpm\", \"{b}\"}},"
    )
}

pub(super) fn test_path(lib: &str) -> String {
    let rest = lib.trim_start_matches("lib/").trim_end_matches(".ex");
    format!("test/{rest}_test.exs")
}

pub(super) fn test_snippet(subject: &str, module: &str, fname: &str) -> String {
    format!(
        "\n  test \"{}\" do\n    assert {module}.{fname}(\" x \") == \"x\"\n  end\n",
        subject.to_lowercase()
    )
}

pub(super) fn migration(subject: &str, name: &str) -> String {
    let table = subject
        .split_whitespace()
        .map(|w| w.trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '_' && c != '.'))
        .find(|w| w.contains('_') || w.contains('.'))
        .map_or_else(
            || slug(subject, 3, '_').replace("add_", ""),
            |w| w.split('.').next().unwrap_or(w).to_string(),
        );
    format!(
        "defmodule Belfrage.Repo.Migrations.{} do\n  use Ecto.Migration\n\n  # {subject}\n  def change do\n    create_if_not_exists table(:{table}) do\n      add :name, :string, null: false\n      add :value, :map, default: %{{}}\n      timestamps()\n    end\n  end\nend\n",
        camel(name)
    )
}

/// Which module a subject most plausibly touches, by keyword.
pub(super) fn module_for(subject: &str) -> Option<usize> {
    let s = subject.to_lowercase();
    let table: [(&str, &str); 14] = [
        ("personalis", "lib/belfrage/personalisation.ex"),
        ("cache key", "lib/belfrage/cache/key.ex"),
        ("distributed cache", "lib/belfrage/cache/distributed.ex"),
        ("cache", "lib/belfrage/cache/local.ex"),
        ("circuit breaker", "lib/belfrage/circuit_breaker.ex"),
        ("route spec", "lib/belfrage/route_spec.ex"),
        ("route matcher", "lib/belfrage/routing/matcher.ex"),
        ("rout", "lib/belfrage/routing/router.ex"),
        ("metric", "lib/belfrage/metrics.ex"),
        ("header", "lib/belfrage_web/response_headers.ex"),
        ("rate limit", "lib/belfrage/rate_limiter.ex"),
        ("language", "lib/belfrage/transformers/language.ex"),
        ("pagination", "lib/belfrage/transformers/pagination.ex"),
        ("origin", "lib/belfrage/clients/http.ex"),
    ];
    let path = table.iter().find(|(k, _)| s.contains(k))?.1;
    LIB_MODULES.iter().position(|(p, _, _)| *p == path)
}

pub(super) const LIB_MODULES: [(&str, &str, &str); 19] = [
    (
        "lib/belfrage.ex",
        "Belfrage",
        "Entry point: handles one request from routing to response.",
    ),
    (
        "lib/belfrage/processor.ex",
        "Belfrage.Processor",
        "The request pipeline: route spec, transformers, cache, origin.",
    ),
    (
        "lib/belfrage/route_spec.ex",
        "Belfrage.RouteSpec",
        "A route spec: which platform serves a route and how it is cached.",
    ),
    (
        "lib/belfrage/routing/router.ex",
        "Belfrage.Routing.Router",
        "Maps request paths to route specs.",
    ),
    (
        "lib/belfrage/routing/matcher.ex",
        "Belfrage.Routing.Matcher",
        "Compiled path matcher kept in :persistent_term.",
    ),
    (
        "lib/belfrage/cache/local.ex",
        "Belfrage.Cache.Local",
        "Per-node response cache in ETS.",
    ),
    (
        "lib/belfrage/cache/distributed.ex",
        "Belfrage.Cache.Distributed",
        "Cross-node fallback cache in S3/CCP.",
    ),
    (
        "lib/belfrage/cache/key.ex",
        "Belfrage.Cache.Key",
        "Builds cache keys from the request hash.",
    ),
    (
        "lib/belfrage/clients/http.ex",
        "Belfrage.Clients.HTTP",
        "Pooled HTTP client for origins.",
    ),
    (
        "lib/belfrage/clients/webcore.ex",
        "Belfrage.Clients.Webcore",
        "Client for the Webcore presentation layer.",
    ),
    (
        "lib/belfrage/circuit_breaker.ex",
        "Belfrage.CircuitBreaker",
        "Stops calling an origin that keeps failing.",
    ),
    (
        "lib/belfrage/personalisation.ex",
        "Belfrage.Personalisation",
        "Decides whether a request is personalised.",
    ),
    (
        "lib/belfrage/transformers/language.ex",
        "Belfrage.Transformers.Language",
        "Sets the language from the path and headers.",
    ),
    (
        "lib/belfrage/transformers/pagination.ex",
        "Belfrage.Transformers.Pagination",
        "Validates page query parameters.",
    ),
    (
        "lib/belfrage/transformers/mvt.ex",
        "Belfrage.Transformers.MVT",
        "Multivariate testing headers.",
    ),
    (
        "lib/belfrage/metrics.ex",
        "Belfrage.Metrics",
        "Telemetry events and statsd reporting.",
    ),
    (
        "lib/belfrage/rate_limiter.ex",
        "Belfrage.RateLimiter",
        "Per-route request rate limits.",
    ),
    (
        "lib/belfrage_web/router.ex",
        "BelfrageWeb.Router",
        "The Plug router in front of Belfrage.",
    ),
    (
        "lib/belfrage_web/response_headers.ex",
        "BelfrageWeb.ResponseHeaders",
        "Headers added to every response.",
    ),
];

const BASE_DEPS: [(&str, &str); 8] = [
    ("bandit", "1.5.7"),
    ("ecto_sql", "3.12.0"),
    ("logger_json", "5.1.4"),
    ("nimble_options", "1.1.1"),
    ("poison", "5.0.0"),
    ("statix", "1.4.0"),
    ("ex_aws_s3", "2.5.3"),
    ("hackney", "1.20.1"),
];

pub(super) fn initial_files(material: &CommitMaterial) -> Vec<Op> {
    let mut ops = Vec::new();
    let create = |path: &str, content: String| Op::Create {
        path: path.to_string(),
        content,
    };
    let mut deps: BTreeMap<String, String> = BASE_DEPS
        .iter()
        .map(|(d, v)| (d.to_string(), v.to_string()))
        .collect();
    for s in &material.subjects {
        if let Some((dep, from)) = bump_source(&s.text) {
            deps.insert(dep, from);
        }
    }
    let dep_lines: Vec<String> = deps
        .iter()
        .map(|(d, v)| format!("      {{:{d}, \"~> {}\"}},", minor(v)))
        .collect();
    ops.push(create(
        "mix.exs",
        format!(
            "defmodule Belfrage.MixProject do\n  use Mix.Project\n\n  def project do\n    [\n      app: :belfrage,\n      version: \"1.37.0\",\n      elixir: \"~> 1.17\",\n      start_permanent: Mix.env() == :prod,\n      deps: deps()\n    ]\n  end\n\n  def application do\n    [extra_applications: [:logger], mod: {{Belfrage.Application, []}}]\n  end\n\n  defp deps do\n    [\n{}\n    ]\n  end\nend\n",
            dep_lines.join("\n")
        ),
    ));
    let lock: Vec<String> = deps.iter().map(|(d, v)| lock_line(d, v)).collect();
    ops.push(create(
        "mix.lock",
        format!("%{{\n{}\n}}\n", lock.join("\n")),
    ));
    ops.push(create(
        "README.md",
        "# Belfrage\n\nBelfrage is the edge router in front of the BBC's web platforms: it matches a\nrequest to a route spec, applies transformers, serves from cache or fetches from the\norigin, and keeps the origins safe with circuit breakers and rate limits.\n\n## Stacks\n\nWWW, Cedric, Sally and Bruce, released in that order (least busy first).\n".into(),
    ));
    ops.push(create("CHANGELOG.md", "# Changelog\n".into()));
    ops.push(create(
        ".formatter.exs",
        "[\n  inputs: [\"{mix,.formatter}.exs\", \"{config,lib,test}/**/*.{ex,exs}\"]\n]\n".into(),
    ));
    ops.push(create(
        ".gitignore",
        "/_build/\n/deps/\n/cover/\nerl_crash.dump\n".into(),
    ));
    ops.push(create("config/config.exs", "import Config\n\nconfig :belfrage,\n  origin_timeout: 6_000,\n  local_cache_size: 25_000\n\nimport_config \"#{config_env()}.exs\"\n".into()));
    ops.push(create(
        "config/dev.exs",
        "import Config\n\nconfig :logger, level: :debug\n".into(),
    ));
    ops.push(create("config/test.exs", "import Config\n\nconfig :belfrage, http_client: Belfrage.Clients.HTTPMock\nconfig :logger, level: :warning\n".into()));
    ops.push(create("config/prod.exs", "import Config\n\nconfig :belfrage,\n  origin_pool_size: 256,\n  circuit_breaker_error_threshold: 200\n\nconfig :logger, level: :info\n".into()));
    ops.push(create("config/runtime.exs", "import Config\n\nif config_env() == :prod do\n  config :belfrage, cosmos_stack: System.fetch_env!(\"COSMOS_STACK\")\nend\n".into()));
    for (path, module, doc) in LIB_MODULES {
        ops.push(create(
            path,
            format!("defmodule {module} do\n  @moduledoc \"\"\"\n  {doc}\n  \"\"\"\n\n  def name, do: __MODULE__\nend\n"),
        ));
        ops.push(create(
            &test_path(path),
            format!("defmodule {module}Test do\n  use ExUnit.Case, async: true\n\n  test \"name\" do\n    assert {module}.name() == {module}\n  end\nend\n"),
        ));
    }
    ops.push(create("test/test_helper.exs", "ExUnit.start()\n".into()));
    ops.push(create(
        "priv/repo/migrations/20250312093000_create_cache_policies.exs",
        migration("Create the cache_policies table", "create_cache_policies"),
    ));
    ops.push(create(".github/workflows/ci.yml", "name: CI\non: [push, pull_request]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - uses: erlef/setup-beam@v1\n      - run: mix deps.get\n      - run: mix test\n".into()));
    ops.push(create(
        "docs/routing.md",
        "# Routing\n\nRoutes are matched in order; the first route spec that matches wins.\n"
            .into(),
    ));
    ops.push(create("docs/caching.md", "# Caching\n\nLocal cache first, then the origin, then the distributed cache as a fallback.\n".into()));
    ops.push(create(
        "docs/runbook.md",
        "# Runbook\n\nWhat to do when belfrage misbehaves.\n".into(),
    ));
    ops
}
