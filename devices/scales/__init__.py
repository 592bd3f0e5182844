"""Serial scales: pure codecs, one driver, one table.

* :mod:`devices.scales.frames`: the frame every codec yields and the buffer that feeds a codec;
* codecs, one per protocol, no I/O: :mod:`~devices.scales.mtsics` (Mettler Toledo MT-SICS),
  :mod:`~devices.scales.aandd` (A&D standard format), :mod:`~devices.scales.ohaus` (Ohaus
  print format), :mod:`~devices.scales.toledo` (Toledo continuous output),
  :mod:`~devices.scales.nci` (NCI / Avery Weigh-Tronix);
* :mod:`devices.scales.driver`: :class:`SerialScale`, one driver for all of them;
* :mod:`devices.scales.protocols`: the table, URL scheme -> codec and commands.

The simulators are in :mod:`devices.sim.scales`; see ``docs/devices-scales.md``.
"""
