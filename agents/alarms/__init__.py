"""Alarm handling after ISA-18.2 for the alerts of every domain (the ``alarms`` domain).

* :mod:`agents.alarms.alarm` - one alert episode's alarm lifecycle (acknowledge, shelve,
  escalate, note, inspection outcome), plain data in and out;
* :mod:`agents.alarms.engine` - the per-asset engine over the alerts topic and the operator
  actions of ``aiot.alerts.acks.v1``;
* :mod:`agents.alarms.figures` - alarm-management figures (rate, flood, standing alarms, time
  to acknowledge), computed by the operations console;
* :mod:`agents.alarms.settings` and :mod:`agents.alarms.domain` - its settings section and its
  declaration to the runtime.

It reads only the shared alerts topic and its own acks topic, never another domain's code.
"""
