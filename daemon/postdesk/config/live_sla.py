"""The desk's SLA policies (rules/sla.yaml) for code that asks by function.

rules/sla.yaml is a live file like the others (`postdesk.config.live_files`):
reloaded when it changes, its last good version kept across restarts. This
module only keeps the name the SLA code calls it by; `runtime.sla` is the same.
"""

from __future__ import annotations

from postdesk.config.live_specs import SLA_FILE
from postdesk.config.runtime import Runtime
from postdesk.sla import SlaConfig

__all__ = ["SLA_FILE", "sla_config"]


def sla_config(runtime: Runtime) -> SlaConfig | None:
    """The SLA policies in force (None: no rules/sla.yaml, so tickets get no clocks)."""
    return runtime.sla
