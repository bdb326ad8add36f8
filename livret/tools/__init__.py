"""Operator tools: the command line, the benchmark and the server helper of the browser tests."""
