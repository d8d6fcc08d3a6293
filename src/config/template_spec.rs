//! How a command template is written in config (`TemplateSpec`): the value type only.
//! Parsing it into commands, and checking its placeholders, is `platform::template`'s job.

use std::fmt;

use serde::de::{self, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

/// A command template as written in config: see the module documentation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum TemplateSpec {
    /// `"kubectl rollout undo deploy/{stack} -n {env}"`, split like a shell would.
    Line(String),
    /// `["kubectl", "rollout", "undo", "deploy/{stack}"]`: one argument per element.
    Argv(Vec<String>),
    /// `[["kubectl", "set", "image", …], "kubectl rollout status …"]`: steps in order.
    Steps(Vec<StepSpec>),
}

/// One step of `TemplateSpec::Steps`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum StepSpec {
    Line(String),
    Argv(Vec<String>),
}

impl<'de> Deserialize<'de> for TemplateSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(SpecVisitor)
    }
}

/// Hand-written so that a wrong shape gets a sentence rather than serde's "did not match
/// any variant", and so that the TOML deserializer keeps the error's line.
struct SpecVisitor;

impl<'de> Visitor<'de> for SpecVisitor {
    type Value = TemplateSpec;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "a command: a string (\"kubectl get pods\"), an array of arguments ([\"kubectl\", \"get\", \"pods\"]) or an array of such commands run in order",
        )
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(TemplateSpec::Line(v.to_string()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items: Vec<StepSpec> = Vec::new();
        while let Some(item) = seq.next_element::<StepSpec>()? {
            items.push(item);
        }
        if items.iter().all(|i| matches!(i, StepSpec::Line(_))) {
            let words = items
                .into_iter()
                .filter_map(|i| match i {
                    StepSpec::Line(s) => Some(s),
                    StepSpec::Argv(_) => None,
                })
                .collect();
            Ok(TemplateSpec::Argv(words))
        } else {
            Ok(TemplateSpec::Steps(items))
        }
    }
}

impl<'de> Deserialize<'de> for StepSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct StepVisitor;
        impl<'de> Visitor<'de> for StepVisitor {
            type Value = StepSpec;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an argument (a string) or a command (an array of strings)")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(StepSpec::Line(v.to_string()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut words = Vec::new();
                while let Some(w) = seq.next_element::<String>()? {
                    words.push(w);
                }
                Ok(StepSpec::Argv(words))
            }
        }
        d.deserialize_any(StepVisitor)
    }
}
