"""RFID tag readers: PC/SC (HF/NFC cards and tags) and UHF serial modules.

* :mod:`devices.rfid.pcsc` - ``pcsc://<reader name>``: a card on a PC/SC reader through
  ``pcscd``; reads the UID with ``FF CA 00 00 00``; survives a ``pcscd`` restart.
* :mod:`devices.rfid.uhf_codec` - the pure codec of the ``BB ... 7E`` UHF module frames.
* :mod:`devices.rfid.uhf` - ``uhf:///dev/ttyUSB1``: a UHF module on a serial port.

Simulators: :mod:`devices.sim.vcard` (a card for ``vpcd``) and :mod:`devices.sim.uhf`.
"""
