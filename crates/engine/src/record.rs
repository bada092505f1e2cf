//! Decimated, columnar traces and the event log.
//!
//! Recording only reads the engine's state: it draws no random numbers and changes nothing, so
//! which quantities are recorded never changes a run.

use serde::{Deserialize, Serialize};

use anneal_plan::Quantity;

/// One recorded column: values at steps 0, every, 2·every, ….
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Column {
    /// Column name, e.g. `temperature`, `band_temperature.csh`, `mode_energy[3]`.
    pub name: String,
    pub quantity: Quantity,
    pub every_steps: u64,
    pub values: Vec<f64>,
}

impl Column {
    /// The step index of each value.
    pub fn steps(&self) -> impl Iterator<Item = u64> + '_ {
        (0..self.values.len() as u64).map(move |i| i * self.every_steps)
    }
}

/// What happened, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The overlap with the attractor held at the last rest fell below the threshold.
    Disintegration,
    /// Back under the crystallisation temperature with a stable state after a disintegration.
    Crystallisation,
    /// The cooling curve restarted after a stall.
    Reheat,
}

/// An event with its step and the state it happened in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub step: u64,
    pub kind: EventKind,
    /// The energy parameter T at the event.
    pub temperature: f64,
    /// The overlap with the held attractor at the event (0 without a landscape).
    pub overlap: f64,
}

/// All recorded columns and events of a run.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Recorder {
    pub columns: Vec<Column>,
    pub events: Vec<Event>,
}

impl Recorder {
    /// The column with this name.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Events of one kind.
    pub fn events_of(&self, kind: EventKind) -> impl Iterator<Item = &Event> {
        self.events.iter().filter(move |e| e.kind == kind)
    }
}
