"""TensorBoard's event checksum computed in C: the same bytes in a fraction of the time.

TensorBoard frames every event it writes with two CRC-32C checksums (``RecordWriter``), computed in pure
Python where TensorFlow is not installed: about 40 us for a step's event of ten values, 150 us at forty,
as much as a tiny training step, on the writer thread that shares the interpreter with training.
``google-crc32c``, Google's C implementation, gives the same checksum in well under a microsecond.
"""

import google_crc32c
from tensorboard.summary.writer import record_writer


def masked_crc32c(data: bytes) -> int:
    """TensorBoard's ``masked_crc32c``: the CRC-32C of ``data``, rotated and offset as TFRecord masks it."""
    crc = google_crc32c.value(data)
    return (((crc >> 15) | (crc << 17) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def use_c_checksum() -> None:
    """Every TensorBoard event file written from now on checksums its records with ``masked_crc32c``."""
    record_writer.masked_crc32c = masked_crc32c
