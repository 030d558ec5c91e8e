"""Publish simulated telemetry as devices do: MQTT, one topic per device (the edge layout).

``make run`` routes the motors through MQTT and the edge gateway with this sink:
``site/<site>/device/<asset id>/telemetry``, QoS 1 so the broker acknowledges every reading.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["MqttTelemetrySink"]


class MqttTelemetrySink:
    """An MQTT client publishing ``(key, value)`` telemetry messages of the simulator."""

    def __init__(self, url: str, site: str) -> None:
        self.url = url
        self.site = site
        self.published = 0
        self._client: object | None = None

    async def start(self) -> MqttTelemetrySink:
        """Connect to the broker."""
        from amqtt.client import MQTTClient

        client = MQTTClient(client_id=f"aiot-sim-{self.site}", config={"auto_reconnect": True})
        await client.connect(self.url)
        self._client = client
        return self

    async def stop(self) -> None:
        """Disconnect."""
        client, self._client = self._client, None
        if client is not None:
            await client.disconnect()  # type: ignore[attr-defined]

    def topic(self, key: bytes) -> str:
        """The device topic of a message key (the asset id); wildcards cannot be device ids."""
        device = key.decode("utf-8", "replace").replace("+", "_").replace("#", "_") or "unknown"
        return f"site/{self.site}/device/{device}/telemetry"

    async def __call__(self, messages: Sequence[tuple[bytes, bytes]]) -> None:
        """Publish ``messages`` in order, each acknowledged by the broker."""
        if self._client is None:
            raise RuntimeError("MqttTelemetrySink.start() was not awaited")
        for key, value in messages:
            await self._client.publish(self.topic(key), value, qos=1)  # type: ignore[attr-defined]
            self.published += 1
