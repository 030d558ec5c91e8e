"""Connection settings shared by every plain aiokafka client."""

from app.kafka.clients import bootstrap_servers, client_options
from app.settings import Settings


def test_bootstrap_servers_accepts_faust_and_list_forms():
    assert bootstrap_servers("kafka://a:9092;kafka://b:9093") == "a:9092,b:9093"
    assert bootstrap_servers("kafka://a:9092,b:9093") == "a:9092,b:9093"
    assert bootstrap_servers("a:9092") == "a:9092"


def test_plaintext_needs_no_credentials():
    assert client_options(Settings()) == {"security_protocol": "PLAINTEXT"}


def test_sasl_ssl_passes_mechanism_credentials_and_tls():
    options = client_options(
        Settings(
            broker_security_protocol="SASL_SSL",
            broker_sasl_mechanism="SCRAM-SHA-512",
            broker_sasl_username="u",
            broker_sasl_password="p",
        )
    )
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert (options["sasl_plain_username"], options["sasl_plain_password"]) == ("u", "p")
    assert options["ssl_context"] is not None
