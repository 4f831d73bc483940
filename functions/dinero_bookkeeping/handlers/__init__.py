"""Thin Lambda entry points: parse, call one use case, map errors to responses."""
