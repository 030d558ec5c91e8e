"""Kafka client helpers without Faust: connection options (bootstrap, SASL/TLS), topic creation."""
