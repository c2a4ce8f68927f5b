//! Placeholder: built in a later issue (see ARCHITECTURE.md).
