"""The embedded amqtt broker: starts on a free loopback port and relays messages."""

from __future__ import annotations

import asyncio

from amqtt.client import MQTTClient

from app.embedded.mqtt import EmbeddedMqttBroker, mqtt_reachable


def test_the_embedded_broker_relays_a_message_and_stops() -> None:
    async def roundtrip(url: str) -> bytes:
        sub = MQTTClient(config={"auto_reconnect": False})
        await sub.connect(url)
        await sub.subscribe([("site/s/device/+/telemetry", 1)])
        pub = MQTTClient(config={"auto_reconnect": False})
        await pub.connect(url)
        await pub.publish("site/s/device/d1/telemetry", b'{"x":1}', qos=1)
        message = await sub.deliver_message(timeout_duration=10)
        await pub.disconnect()
        await sub.disconnect()
        return bytes(message.data)

    with EmbeddedMqttBroker() as broker:
        assert asyncio.run(roundtrip(broker.url)) == b'{"x":1}'
        port = broker.port
    assert not mqtt_reachable("127.0.0.1", port)
