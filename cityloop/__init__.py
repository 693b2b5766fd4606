"""CityLoop: an open-source city operation and governance centre."""

__version__ = "0.1.0"
