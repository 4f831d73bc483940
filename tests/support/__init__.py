"""Shared test support: in-memory fakes of the ports, builders of events and records."""
