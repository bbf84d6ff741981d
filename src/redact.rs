//! One secret redactor used by logs, drift, notes and bug bodies.
