"""Generated code (scripts/gen_proto.py, `make proto`). Do not edit; only eligibility.api and the console's client import it."""
