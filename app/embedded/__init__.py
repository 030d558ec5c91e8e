"""Embedded infrastructure for dev and test: the Tansu Kafka-protocol broker."""
