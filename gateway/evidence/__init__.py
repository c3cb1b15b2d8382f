"""The transfer log as evidence: its writer, its store, the gateway instances that write it, and
the FG's API over it."""
