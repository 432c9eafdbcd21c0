"""Tests of each step kind, in-process against real local servers."""
