"""Structured digital emergency plans (预案): plans as data, activation, tasks and resources."""
