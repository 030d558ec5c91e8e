"""The gateway's configuration, derived once from :class:`app.settings.Settings`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from agents.maintenance.settings import MaintenanceSettings
from agents.safety.settings import SafetySettings
from app.edge.payloads import PayloadLimits
from app.settings import Settings
from schemas.command import EdgeParams

__all__ = ["EdgeConfig"]


@dataclass(frozen=True, slots=True)
class EdgeConfig:
    """Everything the edge gateway needs to know, with Kafka topic names resolved."""

    site: str
    data_dir: Path
    site_secret: str
    biometric_fields: tuple[str, ...]
    limits: PayloadLimits
    defaults: EdgeParams
    partitions: int
    frame_max_readings: int
    frame_linger_s: float
    buffer_bytes: int
    spool_fsync: bool
    motion_summary_s: float
    topic_telemetry: str
    topic_wearables: str
    topic_dead_letters: str
    topic_commands: str
    topic_command_acks: str
    topic_edge_params: str

    @classmethod
    def from_settings(cls, settings: Settings, site: str | None = None) -> EdgeConfig:
        """Build the config; ``site`` overrides ``AIOT_EDGE_SITE`` (the CLI's ``--site``)."""
        site = site or settings.edge_site
        return cls(
            site=site,
            data_dir=Path(settings.edge_data_dir) / site,
            site_secret=settings.edge_site_secret,
            biometric_fields=tuple(
                name.strip()
                for name in settings.of(SafetySettings).edge_biometric_fields.split(",")
                if name.strip()
            ),
            limits=PayloadLimits(settings.min_event_time, settings.max_future_skew_s),
            defaults=EdgeParams(
                asset_class="*",
                derate_rms=settings.edge_derate_rms,
                stop_rms=settings.edge_stop_rms,
                min_consecutive=settings.edge_min_consecutive,
                derate_pct=settings.edge_derate_pct,
                version=0,
            ),
            partitions=settings.partitions,
            frame_max_readings=settings.edge_frame_max_readings,
            frame_linger_s=settings.edge_frame_linger_s,
            buffer_bytes=settings.edge_buffer_bytes,
            spool_fsync=settings.edge_spool_fsync,
            motion_summary_s=settings.edge_motion_summary_s,
            topic_telemetry=settings.of(MaintenanceSettings).topic_telemetry,
            topic_wearables=settings.of(SafetySettings).edge_topic_wearables,
            topic_dead_letters=settings.topic_dead_letters,
            topic_commands=settings.topic_commands,
            topic_command_acks=settings.topic_command_acks,
            topic_edge_params=settings.topic_edge_params,
        )

    @property
    def spool_dir(self) -> Path:
        """Directory of the store-and-forward buffer."""
        return self.data_dir / "spool"
