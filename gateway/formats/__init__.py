"""Payload formats: field paths, payload schemas, and the filters that apply a policy to a body."""
