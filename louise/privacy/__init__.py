"""GDPR: a person's data export (Art. 15/20) and erasure (Art. 17); see docs/privacy.md."""
