"""Pure domain logic and models: no I/O."""
