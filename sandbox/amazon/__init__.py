"""Local stand-in for Amazon's Selling Partner API (LWA, Orders v2026-01-01 and v0, Tokens)."""
