"""tthc: reproducible reports on administrative-procedure (thủ tục hành chính, TTHC) performance."""

__version__ = "0.1.0"
