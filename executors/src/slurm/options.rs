//! `options` and `srun_options`: ordered key/value tables, written out in the order given.

use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A value of an option: `nodes = 1`, `qos = "regular"`, `exclusive = true`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum OptionValue {
    /// `true` writes the bare flag, `false` leaves the option out.
    Bool(bool),
    /// A whole number.
    Int(i64),
    /// A number with a fraction.
    Float(f64),
    /// Text, written as it is.
    String(String),
}

impl fmt::Display for OptionValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OptionValue::Bool(b) => write!(f, "{b}"),
            OptionValue::Int(i) => write!(f, "{i}"),
            OptionValue::Float(x) => write!(f, "{x}"),
            OptionValue::String(s) => f.write_str(s),
        }
    }
}

impl From<&str> for OptionValue {
    fn from(s: &str) -> Self {
        OptionValue::String(s.to_owned())
    }
}
impl From<String> for OptionValue {
    fn from(s: String) -> Self {
        OptionValue::String(s)
    }
}
impl From<i64> for OptionValue {
    fn from(i: i64) -> Self {
        OptionValue::Int(i)
    }
}
impl From<bool> for OptionValue {
    fn from(b: bool) -> Self {
        OptionValue::Bool(b)
    }
}

/// Options in the order they were written (`#SBATCH` lines and `srun` flags keep it).
///
/// ```
/// use orbital_executors::slurm::SlurmOptions;
/// let o = SlurmOptions::new().set("nodes", 1).set("qos", "regular");
/// assert_eq!(o.iter().map(|(k, _)| k).collect::<Vec<_>>(), ["nodes", "qos"]);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SlurmOptions(Vec<(String, OptionValue)>);

impl SlurmOptions {
    /// No options.
    pub fn new() -> Self {
        SlurmOptions(Vec::new())
    }

    /// Sets `key` (replacing its value where it already is, appending it otherwise).
    pub fn set(mut self, key: impl Into<String>, value: impl Into<OptionValue>) -> Self {
        let (key, value) = (key.into(), value.into());
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.0.push((key, value)),
        }
        self
    }

    /// The options, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &OptionValue)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The value of `key`, if set.
    pub fn get(&self, key: &str) -> Option<&OptionValue> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for SlurmOptions {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for SlurmOptions {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = SlurmOptions;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a table of options (`nodes = 1`, `qos = \"regular\"`, `exclusive = true`)",
                )
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SlurmOptions, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, OptionValue>()? {
                    out.push((k, v));
                }
                Ok(SlurmOptions(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// Which keys of `options` orbital sets itself, and why a user may not.
pub(crate) const RESERVED_OPTIONS: &[(&str, &str)] = &[
    (
        "array",
        "orbital packs ready tasks into job arrays itself (see `array_size`)",
    ),
    (
        "output",
        "orbital reads each task's output from its own files",
    ),
    (
        "error",
        "orbital reads each task's output from its own files",
    ),
    (
        "wait",
        "orbital polls the queue instead of holding `sbatch` open",
    ),
    ("parsable", "orbital passes it on the command line"),
];
