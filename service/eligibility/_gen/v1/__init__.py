"""Generated from proto/eligibility/v1 by scripts/gen_proto.py. Do not edit."""
