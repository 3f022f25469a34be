"""Eligibility: district-level joint qualification review service."""
