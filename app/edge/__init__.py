"""The edge gateway: MQTT devices in, local reactions, privacy, store-and-forward to Kafka.

Modules: :mod:`edge.topics` (the MQTT topic layout), :mod:`edge.payloads` (device payloads and
their validation), :mod:`edge.waveform` (features of raw vibration blocks), :mod:`edge.privacy`
(pseudonyms, scrubbing), :mod:`edge.reactions` (the per-device local model), :mod:`edge.processor`
(per-message logic), :mod:`edge.spool` (the durable buffer), :mod:`edge.framing` (frames),
:mod:`edge.forwarder` (spool -> Kafka), :mod:`edge.control` (commands and parameters from the
cloud) and :mod:`edge.gateway` (the running gateway). Only the last three talk to networks.
"""
