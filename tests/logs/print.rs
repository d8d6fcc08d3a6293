//! `slipway logs`'s printing function with real sources.

use slipway::config::LogSourceConfig;
use slipway::feeds::logs::{PrintOptions, TemplateVars, print_logs};

async fn print(config: &LogSourceConfig, opts: PrintOptions) -> (i32, String, String) {
    let mut out = Vec::new();
    let mut diag = Vec::new();
    let code = print_logs(config, &TemplateVars::default(), &opts, &mut out, &mut diag)
        .await
        .unwrap();
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(diag).unwrap(),
    )
}

fn cmd(c: &str) -> LogSourceConfig {
    LogSourceConfig::Command {
        command: c.into(),
        restart: false,
    }
}

#[tokio::test]
async fn prints_sanitised_filtered_lines_and_passes_the_exit_code() {
    let src = cmd("printf 'a\\nERROR \\033[31mred\\033[0m\\033]0;title\\007\\nb\\n'; exit 4");
    let (code, out, _) = print(
        &src,
        PrintOptions {
            grep: Some("error".into()),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(code, 4);
    assert_eq!(out, "ERROR red\n");

    let (_, out, _) = print(
        &src,
        PrintOptions {
            grep: Some("/^ERR/".into()),
            color: true,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        out, "ERROR \x1b[31mred\x1b[0m\n",
        "colours re-emitted, the title is not"
    );
}

#[tokio::test]
async fn prints_the_last_lines_of_a_file_and_stops() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.log");
    std::fs::write(&path, "1\n2\n3\n4\n").unwrap();
    let src = LogSourceConfig::File {
        path: path.display().to_string(),
    };
    let (code, out, _) = print(
        &src,
        PrintOptions {
            lines: 2,
            ..Default::default()
        },
    )
    .await;
    assert_eq!((code, out.as_str()), (0, "3\n4\n"));
}

#[tokio::test]
async fn a_bad_pattern_is_an_error_before_anything_runs() {
    let mut out = Vec::new();
    let mut diag = Vec::new();
    let err = print_logs(
        &cmd("echo hi"),
        &TemplateVars::default(),
        &PrintOptions {
            grep: Some("/(/".into()),
            ..Default::default()
        },
        &mut out,
        &mut diag,
    )
    .await
    .unwrap_err();
    assert!(err.contains("invalid regex"), "{err}");
}
