"""Peer engines for bench/bench_peers.py: the project's rules, generated from the loaded Ruleset, in other engines.

Each peer module has one ``measure(ruleset, inputs) -> Measured``; ``common`` holds what they share (timing, the
answer compared with ours, the Python-side aggregation for peers that only decide single firings).
"""
